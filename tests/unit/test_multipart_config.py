"""Multipart configuration (``<multipart-config>``, ``@multipart_config``,
the wrapper's choice between them) and the container's parts
(catalina_py/container/multipart_request.py) without sockets."""

from __future__ import annotations

import gc
import io
import os
import textwrap
from types import SimpleNamespace

import pytest

from catalina_py.config.web_xml import JAKARTA_NAMESPACE, MultipartConfigDef, WebXml, merge_web_xml, parse_web_xml
from catalina_py.container.multipart_request import ApplicationPart, MultipartIOError, _part_limit, read_parts
from catalina_py.container.wrapper import StandardWrapper
from catalina_py.errors import ConfigError
from catalina_py.servlet import HttpServlet, IllegalStateError, MultipartConfigElement, ServletException
from catalina_py.servlet.annotation import get_multipart_config, multipart_config


def descriptor(tmp_path, servlet_body: str) -> str:
    path = tmp_path / "web.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<web-app xmlns="{JAKARTA_NAMESPACE}" version="6.0">\n'
        "<servlet><servlet-name>up</servlet-name><servlet-class>a.B</servlet-class>\n"
        f"{textwrap.dedent(servlet_body).strip()}\n</servlet>\n</web-app>\n"
    )
    return str(path)


# -- web.xml ---------------------------------------------------------------


def test_multipart_config_in_web_xml(tmp_path):
    web = parse_web_xml(
        descriptor(
            tmp_path,
            """
            <multipart-config>
              <location>/var/uploads</location>
              <max-file-size>1000</max-file-size>
              <max-request-size>5000</max-request-size>
              <file-size-threshold>100</file-size-threshold>
            </multipart-config>
            """,
        )
    )
    assert web.servlets["up"].multipart_config == MultipartConfigDef("/var/uploads", 1000, 5000, 100)
    assert web.warnings == []


def test_multipart_config_defaults(tmp_path):
    web = parse_web_xml(descriptor(tmp_path, "<multipart-config/>"))
    assert web.servlets["up"].multipart_config == MultipartConfigDef("", -1, -1, 0)


def test_no_multipart_config(tmp_path):
    web = parse_web_xml(descriptor(tmp_path, ""))
    assert web.servlets["up"].multipart_config is None


def test_bad_size_is_an_error_with_its_line(tmp_path):
    path = descriptor(tmp_path, "<multipart-config>\n<max-file-size>10MB</max-file-size>\n</multipart-config>")
    with pytest.raises(ConfigError) as error:
        parse_web_xml(path)
    text = str(error.value)
    assert "max-file-size must be an integer, got '10MB'" in text
    assert f"{path}:5" in text


def test_unknown_child_is_a_warning(tmp_path):
    web = parse_web_xml(descriptor(tmp_path, "<multipart-config><max-size>1</max-size></multipart-config>"))
    assert any("unknown element <max-size> in <multipart-config>" in str(w) for w in web.warnings)


def test_merge_keeps_the_apps_multipart_config(tmp_path):
    app = parse_web_xml(descriptor(tmp_path, "<multipart-config><max-file-size>7</max-file-size></multipart-config>"))
    merged = merge_web_xml(WebXml(file="default"), app)
    assert merged.servlets["up"].multipart_config == MultipartConfigDef("", 7, -1, 0)


# -- the annotation ------------------------------------------------------


def test_multipart_config_decorator_records_and_is_not_inherited():
    @multipart_config(max_file_size=10, file_size_threshold=5, location="up")
    class Upload(HttpServlet):
        pass

    class Sub(Upload):
        pass

    assert get_multipart_config(Upload) == MultipartConfigElement("up", 10, -1, 5)
    assert get_multipart_config(Sub) is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_file_size": "1"}, TypeError),
        ({"max_request_size": True}, TypeError),
        ({"file_size_threshold": -1}, ValueError),
        ({"location": 3}, TypeError),
    ],
)
def test_multipart_config_bad_arguments(kwargs, error):
    with pytest.raises(error):
        multipart_config(**kwargs)


def test_multipart_config_decorates_classes_only():
    with pytest.raises(TypeError):
        multipart_config()(lambda: None)  # type: ignore[type-var]


# -- the wrapper's choice ------------------------------------------------


@multipart_config(max_file_size=1)
class Annotated(HttpServlet):
    pass


def wrapper_with(definition: MultipartConfigDef | None, servlet_class: type = Annotated) -> StandardWrapper:
    web = WebXml(file="web.xml")
    context = SimpleNamespace(web_xml=web)
    if definition is not None:
        from catalina_py.config.web_xml import ServletDef

        web.servlets["s"] = ServletDef("s", "x.Y", multipart_config=definition)
    return StandardWrapper(context, "s", servlet_class)  # type: ignore[arg-type]


def test_web_xml_wins_over_the_annotation():
    assert wrapper_with(MultipartConfigDef("", 2, 3, 4)).multipart_config == MultipartConfigElement("", 2, 3, 4)
    assert wrapper_with(None).multipart_config == MultipartConfigElement("", 1, -1, 0)
    assert wrapper_with(None, HttpServlet).multipart_config is None
    wrapper = wrapper_with(None, HttpServlet)
    wrapper.multipart_config = MultipartConfigElement("", 9)
    assert wrapper.multipart_config == MultipartConfigElement("", 9)


# -- parts without sockets -------------------------------------------------


def test_part_moves_to_disk_past_the_threshold(tmp_path):
    part = ApplicationPart("f", "a.txt", [("content-type", "text/plain")], str(tmp_path), 4)
    part.append(b"abcd")
    assert part.is_in_memory() and part.path is None
    part.append(b"e")
    part.finish()
    assert not part.is_in_memory()
    assert part.path is not None and os.path.basename(part.path).startswith("upload_")
    with part.get_input_stream() as stream:
        assert stream.read() == b"abcde"
    assert part.get_size() == 5
    assert part.get_content_type() == "text/plain"
    assert part.get_header("Content-Type") == "text/plain"
    part.delete()
    assert os.listdir(tmp_path) == []


def test_write_moves_the_file_and_delete_leaves_it(tmp_path):
    part = ApplicationPart("f", "a.txt", [], str(tmp_path), 0)
    part.append(b"data")
    part.finish()
    part.write("saved.txt")  # relative: under the location
    assert sorted(os.listdir(tmp_path)) == ["saved.txt"]
    part.delete()
    assert (tmp_path / "saved.txt").read_bytes() == b"data"
    with part.get_input_stream() as stream:
        assert stream.read() == b"data"


def test_write_from_memory(tmp_path):
    part = ApplicationPart("f", None, [], str(tmp_path), 100)
    part.append(b"small")
    target = tmp_path / "elsewhere.txt"
    part.write(str(target))  # absolute
    assert target.read_bytes() == b"small"


def reader(data: bytes):
    stream = io.BytesIO(data)
    return stream.read


BODY = (
    b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nh\xc3\xa9\r\n'
    b'--B\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n0123456789\r\n--B--\r\n'
)


def test_read_parts(tmp_path):
    state = read_parts(
        reader(BODY),
        "multipart/form-data; boundary=B",
        len(BODY),
        "utf-8",
        MultipartConfigElement("", -1, -1, 5),
        str(tmp_path),
    )
    parts = state.get_parts()
    assert [p.get_name() for p in parts] == ["a", "f"]
    assert state.fields == [("a", "h\u00e9")]
    assert len(os.listdir(tmp_path)) == 1  # f is over the threshold
    state.cleanup()
    assert os.listdir(tmp_path) == []


def test_read_parts_errors(tmp_path):
    config = MultipartConfigElement()
    ok = "multipart/form-data; boundary=B"
    cases = [
        ("text/plain", None, config, ServletException),
        ("multipart/form-data", None, config, MultipartIOError),
        (ok, len(BODY), MultipartConfigElement("", -1, len(BODY) - 1, 0), IllegalStateError),
        (ok, None, MultipartConfigElement("", -1, len(BODY) - 1, 0), IllegalStateError),
        (ok, None, MultipartConfigElement("", 9, -1, 0), IllegalStateError),
        (ok, None, MultipartConfigElement(str(tmp_path / "missing")), MultipartIOError),
    ]
    for ctype, length, cfg, error in cases:
        state = read_parts(reader(BODY), ctype, length, "utf-8", cfg, str(tmp_path))
        with pytest.raises(error):
            state.get_parts()
        assert os.listdir(tmp_path) == []


def test_max_post_size_counts_the_fields(tmp_path):
    ok = "multipart/form-data; boundary=B"
    # a=hé: 1 + 1 + 3 + 1 = 6 bytes, as Tomcat counts them
    state = read_parts(reader(BODY), ok, None, "utf-8", MultipartConfigElement(), str(tmp_path), max_post_size=6)
    assert len(state.get_parts()) == 2
    state.cleanup()
    state = read_parts(reader(BODY), ok, None, "utf-8", MultipartConfigElement(), str(tmp_path), max_post_size=5)
    with pytest.raises(IllegalStateError, match="maxPostSize"):
        state.get_parts()
    assert os.listdir(tmp_path) == []


def test_a_dropped_part_deletes_its_file(tmp_path):
    part = ApplicationPart("f", "a", [], str(tmp_path), 0)
    part.append(b"data")
    part.finish()
    assert len(os.listdir(tmp_path)) == 1
    del part  # never delete()d: a killed request, for instance
    gc.collect()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ({}, 50),
        ({"max_part_count": 7}, 7),
        ({"max_part_count": 50, "max_parameter_count": 10000}, 50),
        ({"max_part_count": 50, "max_parameter_count": 20}, 20),
        ({"max_part_count": -1, "max_parameter_count": 20}, 20),
        ({"max_part_count": 50, "max_parameter_count": -1}, 50),
    ],
)
def test_part_limit_is_the_smaller_of_max_part_count_and_max_parameter_count(attrs, expected):
    assert _part_limit(SimpleNamespace(**attrs)) == expected
