package dev.valarm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The published modules, the BOM and the README agree: every module of the reactor that is deployed is
 * listed in valarm-bom (and nothing else is), and README.md names it; every published library is a named module
 * (JpmsSmokeTest runs them on the module path).
 */
final class PublishedModulesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theBomListsEveryPublishedModuleAndTheReadmeNamesIt() throws Exception {
        final Set<String> published = new TreeSet<>();
        for (final String module : children(pom(ROOT.resolve("pom.xml")).getDocumentElement(), "modules", "module")) {
            final Element project = pom(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement();
            final String artifactId = text(project, "artifactId");
            final boolean deployed = !"true".equals(property(project, "maven.deploy.skip"));
            if (deployed && !"valarm-bom".equals(artifactId)) {
                published.add(artifactId);
            }
        }
        assertTrue(published.containsAll(List.of("valarm-api", "valarm-impl", "valarm-rtc-linux", "valarm-junit",
                "valarm-micrometer")), published.toString());
        assertTrue(!published.contains("valarm-benchmarks") && !published.contains("valarm-it"), published.toString());

        final Element bom = pom(ROOT.resolve("valarm-bom/pom.xml")).getDocumentElement();
        final Element managed = (Element) bom.getElementsByTagName("dependencyManagement").item(0);
        final Set<String> listed = new TreeSet<>(children(
                (Element) managed.getElementsByTagName("dependencies").item(0), null, "artifactId"));
        assertEquals(published, listed, "valarm-bom lists exactly the published modules");

        final String readme = Files.readString(ROOT.resolve("README.md"));
        for (final String m : published) {
            assertTrue(readme.contains("`" + m + "`"), "README.md names " + m);
        }
    }

    @Test
    void everyPublishedLibraryIsANamedModule() throws Exception {
        for (final String module : children(pom(ROOT.resolve("pom.xml")).getDocumentElement(), "modules", "module")) {
            final Element project = pom(ROOT.resolve(module).resolve("pom.xml")).getDocumentElement();
            final String artifactId = text(project, "artifactId");
            final boolean library = !"true".equals(property(project, "maven.deploy.skip"))
                    // the BOM; the command line application (a shaded jar run on the class path)
                    && !List.of("valarm-bom", "valarm-cli").contains(artifactId);
            if (library) {
                assertTrue(Files.isRegularFile(ROOT.resolve(module).resolve("src/main/java/module-info.java")),
                        artifactId + " has a module descriptor (not only an Automatic-Module-Name)");
                final String pomText = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
                assertTrue(!pomText.contains("Automatic-Module-Name"), artifactId + " carries no Automatic-Module-Name");
            }
        }
    }

    private static Document pom(final Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    private static String text(final Element project, final String child) {
        for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && ((Element) n).getTagName().equals(child)) {
                return n.getTextContent().trim();
            }
        }
        return null;
    }

    private static String property(final Element project, final String name) {
        final NodeList props = project.getElementsByTagName("properties");
        for (int i = 0; i < props.getLength(); i++) {
            if (props.item(i).getParentNode() == project) {
                final NodeList p = ((Element) props.item(i)).getElementsByTagName(name);
                return p.getLength() == 0 ? null : p.item(0).getTextContent().trim();
            }
        }
        return null;
    }

    /** The texts of {@code leaf} elements under the (direct) {@code container} child, or under {@code parent}. */
    private static List<String> children(final Element parent, final String container, final String leaf) {
        final Element c;
        if (container == null) {
            c = parent;
        } else {
            final NodeList l = parent.getElementsByTagName(container);
            c = (Element) l.item(0);
        }
        final List<String> out = new ArrayList<>();
        final NodeList leaves = c.getElementsByTagName(leaf);
        for (int i = 0; i < leaves.getLength(); i++) {
            out.add(leaves.item(i).getTextContent().trim());
        }
        return out;
    }
}
