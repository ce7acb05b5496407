import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.ExcC14NParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Comment;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Signs SAML tokens as a Java identity provider does (Shibboleth, Keycloak
 * and others sign through this API, with Apache Santuario behind it): the
 * JDK's own XML-DSig implementation, enveloped signature, exclusive c14n,
 * RSA-SHA256, SHA-256, the certificate in KeyInfo.
 *
 * Usage: java JdkSign.java KEY.pem CERT.pem < cases > results
 *
 * One case per line: base64(name) TAB base64(document) TAB ID TAB
 * base64(PrefixList). The document holds the comment <!--SIGNATURE--> once,
 * as a child of the element to sign, where the Signature goes; the
 * serialised Signature replaces the comment in the original text, so every
 * other byte is as written. Every signed document is parsed again and
 * validated by the JDK before it is written. One line per case: "OK " +
 * base64(signed document) or "ERROR " + message.
 *
 * Run by scripts/generate-standard-xmldsig-fixtures.ts; never at test time.
 */
public final class JdkSign {
  private static final String PLACEHOLDER = "<!--SIGNATURE-->";
  private static final String RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

  public static void main(String[] args) throws Exception {
    PrivateKey key = KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(pem(Files.readString(Path.of(args[0])))));
    X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(Path.of(args[1]))));
    Base64.Decoder decoder = Base64.getDecoder();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] fields = line.split("\t", -1);
      try {
        String xml = new String(decoder.decode(fields[1]), StandardCharsets.UTF_8);
        String prefixes = new String(decoder.decode(fields[3]), StandardCharsets.UTF_8);
        String signed = sign(xml, fields[2], prefixes, key, cert);
        validate(signed, fields[2], cert);
        out.append("OK ").append(Base64.getEncoder().encodeToString(signed.getBytes(StandardCharsets.UTF_8)));
      } catch (Exception error) {
        out.append("ERROR ").append(String.valueOf(error).replace('\n', ' '));
      }
      out.append('\n');
    }
    System.out.print(out);
  }

  private static byte[] pem(String text) {
    return Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", ""));
  }

  private static Document parse(String xml) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  /** The element whose ID (or AssertionID) is `id`, registered as an ID for the reference. */
  private static Element findById(Node node, String id) {
    if (node.getNodeType() == Node.ELEMENT_NODE) {
      Element element = (Element) node;
      for (String name : List.of("ID", "AssertionID")) {
        if (element.hasAttributeNS(null, name) && element.getAttributeNS(null, name).equals(id)) {
          element.setIdAttributeNS(null, name, true);
          return element;
        }
      }
    }
    for (Node child = node.getFirstChild(); child != null; child = child.getNextSibling()) {
      Element found = findById(child, id);
      if (found != null) return found;
    }
    return null;
  }

  private static String sign(String xml, String id, String prefixes, PrivateKey key, X509Certificate cert)
      throws Exception {
    if (xml.indexOf(PLACEHOLDER) == -1 || xml.indexOf(PLACEHOLDER) != xml.lastIndexOf(PLACEHOLDER)) {
      throw new IllegalArgumentException("the document must hold <!--SIGNATURE--> exactly once");
    }
    Document document = parse(xml);
    Element signed = findById(document, id);
    if (signed == null) throw new IllegalArgumentException("no element with ID " + id);
    Comment placeholder = null;
    for (Node child = signed.getFirstChild(); child != null; child = child.getNextSibling()) {
      if (child.getNodeType() == Node.COMMENT_NODE && child.getNodeValue().equals("SIGNATURE")) {
        placeholder = (Comment) child;
      }
    }
    if (placeholder == null) throw new IllegalArgumentException("no <!--SIGNATURE--> in the signed element");

    XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
    List<String> prefixList = prefixes.isEmpty() ? List.of() : Arrays.asList(prefixes.split(" "));
    List<Transform> transforms = List.of(
        factory.newTransform(Transform.ENVELOPED, (TransformParameterSpec) null),
        factory.newTransform(CanonicalizationMethod.EXCLUSIVE,
            prefixList.isEmpty() ? null : new ExcC14NParameterSpec(prefixList)));
    Reference reference = factory.newReference("#" + id,
        factory.newDigestMethod(DigestMethod.SHA256, null), transforms, null, null);
    SignedInfo signedInfo = factory.newSignedInfo(
        factory.newCanonicalizationMethod(CanonicalizationMethod.EXCLUSIVE, (C14NMethodParameterSpec) null),
        factory.newSignatureMethod(RSA_SHA256, null), List.of(reference));
    KeyInfoFactory keyInfoFactory = factory.getKeyInfoFactory();
    KeyInfo keyInfo = keyInfoFactory.newKeyInfo(List.of(keyInfoFactory.newX509Data(List.of(cert))));
    factory.newXMLSignature(signedInfo, keyInfo).sign(new DOMSignContext(key, signed, placeholder));

    Transformer transformer = TransformerFactory.newInstance().newTransformer();
    transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
    StringWriter signature = new StringWriter();
    transformer.transform(new DOMSource(placeholder.getPreviousSibling()), new StreamResult(signature));
    return xml.replace(PLACEHOLDER, signature.toString());
  }

  private static void validate(String xml, String id, X509Certificate cert) throws Exception {
    Document document = parse(xml);
    findById(document, id);
    Node signature = document.getElementsByTagNameNS(XMLSignature.XMLNS, "Signature").item(0);
    DOMValidateContext context = new DOMValidateContext(cert.getPublicKey(), signature);
    if (!XMLSignatureFactory.getInstance("DOM").unmarshalXMLSignature(context).validate(context)) {
      throw new IllegalStateException("the signed document does not validate with the JDK");
    }
  }
}
