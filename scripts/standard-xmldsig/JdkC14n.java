import com.sun.org.apache.xml.internal.security.Init;
import com.sun.org.apache.xml.internal.security.c14n.Canonicalizer;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Exclusive XML canonicalisation (without comments) by the JDK's own XML-DSig
 * implementation (Apache Santuario, as bundled in java.xml.crypto).
 *
 * Reads one case per line from stdin: base64(document) TAB path TAB
 * base64(PrefixList), where path is the indexes of element children from the
 * root, comma separated (empty: the root). Writes one line per case:
 * "OK " + base64(canonical form) or "ERROR " + message.
 *
 * Run by scripts/generate-standard-xmldsig-fixtures.ts, never at test time:
 *   java --add-exports java.xml.crypto/com.sun.org.apache.xml.internal.security=ALL-UNNAMED \
 *        --add-exports java.xml.crypto/com.sun.org.apache.xml.internal.security.c14n=ALL-UNNAMED \
 *        scripts/standard-xmldsig/JdkC14n.java < cases > results
 */
public final class JdkC14n {
  public static void main(String[] args) throws Exception {
    Init.init();
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Base64.Decoder decoder = Base64.getDecoder();
    Base64.Encoder encoder = Base64.getEncoder();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] fields = line.split("\t", -1);
      try {
        byte[] xml = decoder.decode(fields[0]);
        Element element = factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml)).getDocumentElement();
        if (!fields[1].isEmpty()) {
          for (String step : fields[1].split(",")) element = elementChildren(element).get(Integer.parseInt(step));
        }
        String prefixes = new String(decoder.decode(fields[2]), StandardCharsets.UTF_8);
        ByteArrayOutputStream canonical = new ByteArrayOutputStream();
        Canonicalizer.getInstance(Canonicalizer.ALGO_ID_C14N_EXCL_OMIT_COMMENTS)
            .canonicalizeSubtree(element, prefixes.isEmpty() ? null : prefixes, canonical);
        out.append("OK ").append(encoder.encodeToString(canonical.toByteArray())).append('\n');
      } catch (Exception error) {
        out.append("ERROR ").append(String.valueOf(error).replace('\n', ' ')).append('\n');
      }
    }
    System.out.print(out);
  }

  private static List<Element> elementChildren(Element parent) {
    List<Element> children = new ArrayList<>();
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node.getNodeType() == Node.ELEMENT_NODE) children.add((Element) node);
    }
    return children;
  }
}
