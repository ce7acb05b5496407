#!/usr/bin/python3
"""Signs SAML tokens as a libxmlsec-based identity provider does: enveloped
signature, exclusive c14n by libxml2 (through lxml), RSA-SHA256, SHA-256.

Usage: lxml_sign.py KEY.pem CERT.pem < cases.json > signed.json

Each case is {"name", "xml", "id", "prefixes"}: the unsigned document, the ID
of the element to sign, and the InclusiveNamespaces PrefixList of the
reference's exclusive c14n transform. The document holds the comment
<!--SIGNATURE--> once, as a child of the element to sign, where the
ds:Signature goes. The digest is computed over the element as libxml2
canonicalises it (the comment is not part of it), the SignatureValue over
SignedInfo canonicalised where it stands, and the serialised ds:Signature
replaces the comment in the original text, so every other byte of the
document is as written (literal tabs in attribute values, CR LF, character
references): what the verifier reads is what the signer parsed.

Each result is {"name", "signed"} or {"name", "error"}. Every signed document
is parsed again and verified with libxml2's canonical forms before it is
written. Run by scripts/generate-standard-xmldsig-fixtures.ts; never at test
time.
"""
import base64
import hashlib
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

DS = 'http://www.w3.org/2000/09/xmldsig#'
EC = 'http://www.w3.org/2001/10/xml-exc-c14n#'
PLACEHOLDER = '<!--SIGNATURE-->'

key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
cert = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
cert_b64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def libxml2_prefixes(prefixes):
    # lxml hands libxml2 only the prefixes its dictionary holds, so "#default"
    # would be dropped; libxml2 reads "" as the default namespace, as xmlsec
    # passes it.
    return ['' if prefix == '#default' else prefix for prefix in prefixes] or None


def parse(text):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(text.encode('utf-8'), parser)


def find_by_id(root, value):
    for element in root.iter(etree.Element):
        if element.get('ID') == value or element.get('AssertionID') == value:
            return element
    raise ValueError(f'no element with ID {value}')


def canonical(element, prefixes):
    return etree.tostring(element, method='c14n', exclusive=True, with_comments=False,
                          inclusive_ns_prefixes=libxml2_prefixes(prefixes))


def signature_element(reference_id, prefixes, digest):
    inclusive = ''
    if prefixes:
        inclusive = f'<ec:InclusiveNamespaces xmlns:ec="{EC}" PrefixList="{" ".join(prefixes)}"/>'
    return etree.fromstring((
        f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{EC}"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        f'<ds:Reference URI="#{reference_id}"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        f'<ds:Transform Algorithm="{EC}">{inclusive}</ds:Transform></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        f'<ds:DigestValue>{base64.b64encode(digest).decode()}</ds:DigestValue>'
        '</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>'
        f'<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate>'
        '</ds:X509Data></ds:KeyInfo></ds:Signature>').encode())


def sign(case):
    text = case['xml']
    if text.count(PLACEHOLDER) != 1:
        raise ValueError('the document must hold <!--SIGNATURE--> exactly once')
    root = parse(text)
    signed = find_by_id(root, case['id'])
    placeholder = next(c for c in signed if isinstance(c, etree._Comment) and c.text == 'SIGNATURE')
    digest = hashlib.sha256(canonical(signed, case['prefixes'])).digest()
    signature = signature_element(case['id'], case['prefixes'], digest)
    signature.tail = placeholder.tail
    signed.replace(placeholder, signature)
    signed_info = signature.find(f'{{{DS}}}SignedInfo')
    value = key.sign(canonical(signed_info, []), padding.PKCS1v15(), hashes.SHA256())
    signature.find(f'{{{DS}}}SignatureValue').text = base64.b64encode(value).decode()
    serialised = etree.tostring(signature, encoding='unicode', with_tail=False)
    result = text.replace(PLACEHOLDER, serialised)
    verify(result, case)
    return result


def verify(text, case):
    """Reads the signed document back as libxml2 does and checks digest and signature."""
    root = parse(text)
    signed = find_by_id(root, case['id'])
    signature = signed.find(f'{{{DS}}}Signature')
    signed_info = signature.find(f'{{{DS}}}SignedInfo')
    value = base64.b64decode(signature.findtext(f'{{{DS}}}SignatureValue'))
    cert.public_key().verify(value, canonical(signed_info, []), padding.PKCS1v15(), hashes.SHA256())
    expected = base64.b64decode(signed_info.findtext(f'.//{{{DS}}}DigestValue'))
    tail = signature.tail
    previous = signature.getprevious()
    signed.remove(signature)
    # Removing the element must leave its tail text where it was (the enveloped transform).
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or '') + tail
        else:
            signed.text = (signed.text or '') + tail
    if hashlib.sha256(canonical(signed, case['prefixes'])).digest() != expected:
        raise ValueError('the signed document does not verify with libxml2')


results = []
for case in json.load(sys.stdin):
    try:
        results.append({'name': case['name'], 'signed': sign(case)})
    except Exception as error:  # pylint: disable=broad-except
        results.append({'name': case['name'], 'error': f'{type(error).__name__}: {error}'})
json.dump(results, sys.stdout, ensure_ascii=False)
