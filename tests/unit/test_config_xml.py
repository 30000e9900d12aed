"""Tests of catalina_py.config.xml: the XML reading layer under the
server.xml, web.xml and context descriptor readers (errors at file:line,
warnings about unknown attributes and elements, typed attribute readers)."""

from __future__ import annotations

import pytest

from catalina_py.config.xml import Attributes, XmlReader, read_xml
from catalina_py.errors import ConfigError, Location


def reader_for(tmp_path, text: str, properties=None, namespace: str = "") -> tuple[XmlReader, object]:
    """A reader over ``text`` written to a file, and the root element."""
    path = tmp_path / "conf.xml"
    path.write_text(text, encoding="utf-8")
    tree, lines = read_xml(str(path), "<Root>")
    return (XmlReader(str(path), lines, properties=properties, namespace=namespace), tree.getroot())


def attrs_of(tmp_path, attributes: str, properties=None) -> Attributes:
    reader, root = reader_for(tmp_path, f"<Root>\n  <Item\n    {attributes}/>\n</Root>\n", properties)
    return reader.attributes(root[0], "Item")


# -- parsing -----------------------------------------------------------------


def test_malformed_xml_is_an_error_with_file_and_line(tmp_path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text("<Root>\n<Item>\n</Root>\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_xml(str(path), "<Root>")
    assert info.value.file == str(path)
    assert info.value.line == 3
    assert info.value.message.startswith("not well-formed XML")
    assert "<Root> root element" in (info.value.hint or "")


def test_missing_file_is_an_error_naming_it(tmp_path) -> None:
    missing = str(tmp_path / "nope.xml")
    with pytest.raises(ConfigError) as info:
        read_xml(missing, "<Root>")
    assert info.value.file == missing
    assert "cannot read file" in info.value.message


def test_entities_are_not_expanded(tmp_path) -> None:
    reader, root = reader_for(
        tmp_path, '<?xml version="1.0"?>\n' '<!DOCTYPE Root [<!ENTITY x "expanded">]>\n' "<Root>&x;</Root>\n"
    )
    assert "expanded" not in reader.text(root)


def test_location_is_the_line_where_a_tag_begins(tmp_path) -> None:
    reader, root = reader_for(tmp_path, '<Root>\n  <Item a="1"\n        b="2"\n' '        c="3"/>\n</Root>\n')
    assert reader.location(root[0]) == Location(reader.file, 2)


def test_path_of_names_the_ancestors(tmp_path) -> None:
    reader, root = reader_for(tmp_path, "<Server><Service><Connector/></Service></Server>")
    assert reader.path_of(root[0][0]) == "Server/Service/Connector"


# -- warnings ----------------------------------------------------------------


def test_unknown_attribute_is_warned_with_a_suggestion_and_the_path(tmp_path) -> None:
    attrs = attrs_of(tmp_path, 'naem="x" size="1"')
    kept = attrs.check_names({"name", "size"})
    assert kept == {}
    [warning] = attrs.reader.warnings
    assert (warning.file, warning.line) == (attrs.reader.file, 2)
    assert warning.message.startswith("unknown attribute naem on <Item>, ignored " "(did you mean name?)")
    assert "{Root/Item} Setting property 'naem' did not find a matching property." in warning.message


def test_tomcat_attribute_is_not_supported_and_kept(tmp_path) -> None:
    attrs = attrs_of(tmp_path, 'name="x" compression="on" quiet="1"')
    kept = attrs.check_names({"name"}, tomcat={"compression"}, passthrough={"quiet"})
    assert kept == {"compression": "on", "quiet": "1"}
    [warning] = attrs.reader.warnings
    assert warning.message == ("attribute compression of <Item> is not supported by " "catalina_py, ignored")


def test_children_warn_about_unknown_and_unsupported_elements(tmp_path) -> None:
    reader, root = reader_for(tmp_path, "<Root>\n<Item/>\n<!-- c -->\n<Realm/>\n<Bogus/>\n</Root>\n")
    found = list(reader.children(root, "Root", {"Item"}, {"Realm"}))
    assert [child.tag for child in found] == ["Item"]
    first, second = reader.warnings
    assert (first.line, first.message) == (4, "<Realm> in <Root> is not supported by catalina_py, ignored")
    assert second.line == 5
    assert second.message.startswith("unknown element <Bogus> in <Root>, ignored " "(expected: Item)")


def test_namespaced_elements_are_named_by_local_name(tmp_path) -> None:
    ns = "urn:example"
    reader, root = reader_for(tmp_path, f'<r xmlns="{ns}"><a/><b xmlns="urn:other"/></r>', namespace=ns)
    assert [name for name, _ in reader.elements(root)] == ["a", "{urn:other}b"]


def test_undefined_property_is_warned_and_noted_in_errors(tmp_path) -> None:
    attrs = attrs_of(tmp_path, 'port="${http.port}" name="${who}"', {"who": "me"})
    assert attrs.get("name") == "me"
    [warning] = attrs.reader.warnings
    assert "property ${http.port} used in attribute port of <Item> is not defined" in warning.message
    with pytest.raises(ConfigError) as info:
        attrs.port("port", 80)
    assert "(property ${http.port} is not defined)" in info.value.message
    assert (info.value.file, info.value.line) == (attrs.reader.file, 2)


def test_without_properties_values_are_as_written(tmp_path) -> None:
    attrs = attrs_of(tmp_path, 'name="${x}"')
    assert attrs.get("name") == "${x}"
    assert attrs.reader.warnings == []


# -- typed readers -----------------------------------------------------------


def test_typed_readers_return_values_and_defaults(tmp_path) -> None:
    attrs = attrs_of(tmp_path, 'n=" 12 " b="TRUE" s="0.5" p="8080" z="64K" e="HTTPS"' ' big="2mb" free="-1" name="x"')
    assert attrs.integer("n", 0, hint="a number") == 12
    assert attrs.integer("absent", 7, hint="a number") == 7
    assert attrs.optional_integer("absent", hint="a number") is None
    assert attrs.boolean("b", False) is True
    assert attrs.boolean("absent", True) is True
    assert attrs.seconds("s", 1.0) == 0.5
    assert attrs.port("p", 80) == 8080
    assert attrs.size("z", 0, hint="bytes") == 64 * 1024
    assert attrs.size("big", 0, hint="bytes") == 2 * 1024 * 1024
    assert attrs.size("free", 0, hint="bytes") == -1
    assert attrs.enum("e", "http", ("http", "https")) == "https"
    assert attrs.enum("absent", "http", ("http", "https")) == "http"
    assert attrs.required("name", "name=...") == "x"
    assert attrs.others("n", "b", "s", "p", "z", "e", "big", "free") == {"name": "x"}
    assert "name" in attrs and "absent" not in attrs


@pytest.mark.parametrize(
    ("attribute", "read", "fragment"),
    [
        ('n="twelve"', lambda a: a.integer("n", 0, hint="h"), "attribute n of <Item> must be an integer, got 'twelve'"),
        ('n="0"', lambda a: a.integer("n", 1, minimum=1, hint="h"), "attribute n of <Item> is out of range: 0"),
        ('p="70000"', lambda a: a.port("p", 80), "attribute p of <Item> is out of range"),
        ('b="yes"', lambda a: a.boolean("b", False), "attribute b of <Item> must be true or false, got 'yes'"),
        ('s="-1"', lambda a: a.seconds("s", 1.0), "attribute s of <Item> must be a number of seconds"),
        ('z="lots"', lambda a: a.size("z", 0, hint="h"), "attribute z of <Item> must be a size in bytes"),
        (
            'e="ftp"',
            lambda a: a.enum("e", "http", ("http", "https")),
            'attribute e of <Item> must be "http" or "https", got \'ftp\'',
        ),
        ('other="1"', lambda a: a.required("name", 'name="x"'), "<Item> is missing the required attribute name"),
        ('name=" "', lambda a: a.required("name", 'name="x"'), "attribute name of <Item> is empty"),
    ],
)
def test_typed_readers_raise_located_errors(tmp_path, attribute, read, fragment) -> None:
    attrs = attrs_of(tmp_path, attribute)
    with pytest.raises(ConfigError) as info:
        read(attrs)
    assert fragment in info.value.message
    assert (info.value.file, info.value.line) == (attrs.reader.file, 2)
    assert info.value.hint


def test_port_may_allow_minus_one(tmp_path) -> None:
    attrs = attrs_of(tmp_path, 'p="-1"')
    assert attrs.port("p", 80, allow_disabled=True) == -1
    with pytest.raises(ConfigError):
        attrs.port("p", 80)


def test_text_readers(tmp_path) -> None:
    reader, root = reader_for(tmp_path, "<Root>\n<n> 5 </n>\n<b>1</b>\n</Root>\n")
    text, element = reader.child_text(root, "n")
    assert text == "5" and element is not None
    assert reader.text_integer(element, text, "n", "an integer") == 5
    assert reader.text_boolean(root[1], "1", "b") is True
    assert reader.child_text(root, "absent") == (None, None)
    with pytest.raises(ConfigError) as info:
        reader.text_boolean(root[1], "maybe", "b")
    assert (info.value.line, info.value.message) == (3, "b must be true or false, got 'maybe'")
    with pytest.raises(ConfigError) as info:
        reader.text_integer(element, "x", "n", "an integer")
    assert (info.value.line, info.value.hint) == (2, "an integer")


def test_text_encoding_and_dotted_names(tmp_path) -> None:
    reader, root = reader_for(tmp_path, "<Root>\n<enc>latin-1</enc>\n<bad>klingon</bad>\n</Root>\n")
    assert reader.text_encoding(root[0], "enc") == "latin-1"
    with pytest.raises(ConfigError) as info:
        reader.text_encoding(root[1], "bad")
    assert (info.value.line, info.value.message) == (3, "unknown character encoding 'klingon' in <bad>")
    reader.check_dotted(root[0], "package.module.Class", "listener-class")
    reader.check_dotted(root[0], "ValueError", "exception-type")
    with pytest.raises(ConfigError) as info:
        reader.check_dotted(root[0], "com/example/Cls", "listener-class")
    assert info.value.message == "listener-class 'com/example/Cls' is not a Python class name"
    assert info.value.line == 2
