package dev.valarm.daemon;

import dev.valarm.daemon.internal.control.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * A connection to a running daemon's control socket: one JSON object per line each way
 * ({@code {"cmd":"list"}} &rarr; {@code {"ok":true,"instances":[...]}}; a refusal is
 * {@code {"ok":false,"errno":"ENOENT","error":"..."}}). What {@code ./valarm ctl} uses; scripts may speak the
 * protocol directly (see {@code docs/operating.md}).
 *
 * <p>Thread-safety: not thread-safe; one request at a time.
 */
public final class ControlClient implements AutoCloseable {
    /** The longest reply read (a list of many instances). */
    private static final int MAX_REPLY = 64 << 20;

    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private ControlClient(final SocketChannel channel) {
        this.channel = channel;
        in.flip();
    }

    /**
     * Connects to a control socket.
     *
     * @param socket the socket's path
     * @return the client
     * @throws IOException if nothing listens there, or the socket refuses this user (EACCES)
     */
    public static ControlClient connect(final Path socket) throws IOException {
        final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (final IOException e) {
            ch.close();
            throw new IOException("cannot reach the valarm daemon on " + socket + ": " + e.getMessage()
                    + " (is it running? is this the right socket? control sockets are root-only by default)", e);
        }
        return new ControlClient(ch);
    }

    /**
     * Sends one request and waits for its reply.
     *
     * @param request the request object ({@code cmd} and its fields)
     * @return the reply object
     * @throws IOException if the connection fails or the daemon closes it
     */
    public Map<String, Object> call(final Map<String, ?> request) throws IOException {
        return Json.parseObject(callRaw(Json.write(request)));
    }

    /**
     * The JSON text of a request or reply object, on one line.
     *
     * @param object maps, lists, strings, numbers, booleans and null
     * @return the text
     */
    public static String toJson(final Map<String, ?> object) {
        return Json.write(object);
    }

    /**
     * Parses a reply line.
     *
     * @param line the JSON text of one object
     * @return the object, members in order
     * @throws IllegalArgumentException naming the offset if it is not a JSON object
     */
    public static Map<String, Object> parse(final String line) {
        return Json.parseObject(line);
    }

    /**
     * Sends one request line as given and returns the reply line.
     *
     * @param requestLine the JSON text (no newline)
     * @return the reply's JSON text
     * @throws IOException if the connection fails or the daemon closes it
     */
    public String callRaw(final String requestLine) throws IOException {
        final ByteBuffer out = ByteBuffer.wrap((requestLine + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out);
        }
        return readLine();
    }

    /**
     * Reads one more reply line (a command that answers twice, such as a hand-over).
     *
     * @return the line
     * @throws IOException at end of file
     */
    public String readLine() throws IOException {
        line.reset();
        while (true) {
            while (in.hasRemaining()) {
                final byte b = in.get();
                if (b == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(b);
                if (line.size() > MAX_REPLY) {
                    throw new IOException("the daemon's reply is longer than " + MAX_REPLY + " bytes");
                }
            }
            in.clear();
            final int n = channel.read(in);
            in.flip();
            if (n < 0) {
                throw new IOException("the daemon closed the control connection"
                        + (line.size() > 0 ? " in the middle of a reply" : " without a reply"));
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
