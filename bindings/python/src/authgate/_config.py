"""Configuration documents as the C ABI takes them: JSON text.

A document may be given as a mapping, as JSON text, or (for the engine) as
the path of a file: JSON, or the sidecar's YAML when PyYAML is installed.
Nothing is checked here: the library checks every key and names the bad one.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Mapping, Union

Config = Union[Mapping[str, Any], str, "os.PathLike[str]"]


def to_json(config: Config, *, allow_path: bool) -> bytes:
    """The document as UTF-8 JSON text."""
    if isinstance(config, Mapping):
        return json.dumps(config, ensure_ascii=False, allow_nan=False).encode()
    if isinstance(config, os.PathLike) or (
            allow_path and isinstance(config, str) and not config.lstrip().startswith("{")):
        return _read_file(os.fspath(config))
    if isinstance(config, str):
        return config.encode()
    raise TypeError("configuration: expected a mapping, JSON text%s, not %s"
                    % (" or a file path" if allow_path else "", type(config).__name__))


def _read_file(path: str) -> bytes:
    with open(path, "rb") as file:
        data = file.read()
    if path.endswith((".yaml", ".yml")):
        return sidecar_yaml_to_json(data, path)
    return data


def sidecar_yaml_to_json(data: bytes, path: str = "<yaml>") -> bytes:
    """The sidecar's YAML (docs/config.md, "sidecar") as the JSON the sidecar
    would hand the engine, with its scalar rules rather than PyYAML's YAML 1.1
    ones: a plain scalar is ``true``/``false``, ``null``/``~``/empty, a number
    when written as JSON writes one, else a string (``yes``, ``on``,
    ``2024-01-01`` and ``0x10`` stay strings); a quoted scalar is a string; a
    key appears once per mapping; a list used as a key (claim names with
    dots) is allowed only under ``claims``, giving the list form."""
    try:
        import yaml
    except ImportError as error:
        raise ImportError("authgate: %s: reading YAML needs PyYAML (Debian: python3-yaml); "
                          "or pass the document as a dict or JSON text" % path) from error
    from .exceptions import ConfigError

    class _Loader(yaml.SafeLoader):
        yaml_implicit_resolvers: dict = {}

    # Every plain scalar gets the tag "?", as in yaml-cpp, and is typed below.
    _Loader.add_implicit_resolver("?", re.compile(r"(?s).*"), None)
    _Loader.add_implicit_resolver("?", re.compile(r"^$"), [""])
    try:
        root = yaml.compose(data, Loader=_Loader)
    except yaml.YAMLError as error:
        raise ConfigError("%s: %s" % (path, error)) from None

    def fail(where: str, message: str):
        raise ConfigError("%s: %s%s" % (path, where + ": " if where else "", message))

    def scalar(node, where):
        if node.tag == "?":
            text = node.value
            if text in ("true", "false"):
                return text == "true"
            if text in ("null", "~", ""):
                return None
            if _JSON_NUMBER.fullmatch(text):
                return json.loads(text)
            return text
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        fail(where, "unsupported YAML tag " + node.tag)

    def convert(node, where, in_claims=False):
        if isinstance(node, yaml.ScalarNode):
            return scalar(node, where)
        if isinstance(node, yaml.SequenceNode):
            return [convert(item, "%s[%d]" % (where, i)) for i, item in enumerate(node.value)]
        if any(not isinstance(key, yaml.ScalarNode) for key, _ in node.value):
            if not in_claims:
                fail(where, "mapping keys must be plain scalars")
            return claims_list(node, where)
        out: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                fail(where, "duplicate key " + key)
            child = key if not where else where + "." + key
            out[key] = convert(value_node, child, key == "claims")
        return out

    def claims_list(node, where):
        entries = []
        for key_node, value_node in node.value:
            if not isinstance(value_node, yaml.MappingNode):
                fail(where, "each claim maps to one condition object")
            entry = {"claim": convert(key_node, where)}
            for name_node, condition_node in value_node.value:
                if not isinstance(name_node, yaml.ScalarNode):
                    fail(where, "a condition name must be a scalar")
                entry[name_node.value] = convert(condition_node, where)
            entries.append(entry)
        return entries

    document = {} if root is None else convert(root, "")
    return json.dumps(document, ensure_ascii=False).encode()


# RFC 8259 section 6, as the sidecar's IsJsonNumber.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
