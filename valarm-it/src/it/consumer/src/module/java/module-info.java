/** The consumer as a named module: it names only the API it uses; the Linux backend is found as a service. */
module example.consumer {
    requires dev.valarm.impl;
    requires dev.valarm.bridge;
    exports example;
}
