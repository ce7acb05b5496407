#!/usr/bin/python3
"""Exclusive XML canonicalisation (without comments) by libxml2, through lxml.

Reads a JSON array of cases from stdin, each {"xml": str, "path": [int],
"prefixes": [str]}: the document, the element to canonicalise as indexes of
element children from the root, and the InclusiveNamespaces PrefixList.
Writes a JSON array of {"canonical": str} or {"error": str}, one per case.
Run by scripts/generate-standard-xmldsig-fixtures.ts; never at test time.
"""
import json
import sys

from lxml import etree

results = []
for case in json.load(sys.stdin):
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
        element = etree.fromstring(case['xml'].encode('utf-8'), parser)
        # libxml2 reports a namespace well-formedness error (two attributes
        # with one expanded name) and reads on; such a document has no
        # canonical form.
        errors = parser.error_log.filter_from_errors()
        if errors:
            raise ValueError(str(errors[0]))
        for index in case['path']:
            element = [child for child in element if isinstance(child.tag, str)][index]
        # lxml passes libxml2 only the prefixes its dictionary holds, so
        # "#default" would be dropped; libxml2 reads "" as the default namespace.
        prefixes = ['' if prefix == '#default' else prefix for prefix in case['prefixes']]
        canonical = etree.tostring(
            element,
            method='c14n',
            exclusive=True,
            with_comments=False,
            inclusive_ns_prefixes=prefixes or None,
        )
        results.append({'canonical': canonical.decode('utf-8')})
    except Exception as error:  # pylint: disable=broad-except
        results.append({'error': f'{type(error).__name__}: {error}'})
json.dump(results, sys.stdout, ensure_ascii=False)
