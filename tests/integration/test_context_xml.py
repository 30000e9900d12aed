"""context.xml against a real server: a webapp's META-INF/context.xml, a
descriptor in conf/Catalina/localhost that wins over it, the Host's
deployXML and copyXML, conf/context.xml's defaults, <Parameter> both ways,
<Environment> seen by a servlet, sessionCookieName on the wire,
<WatchedResource> reloading, a malformed file stopping only its webapp."""

from __future__ import annotations

import shutil

import requests

from tests.integration.test_deploy import get, server_xml, status_is, wait_for
from tests.server import TEST_WEBAPPS

APP = TEST_WEBAPPS / "contextxml"
ONE = TEST_WEBAPPS / "deploy" / "one"

CONTEXT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Context sessionCookieName="SHOPSESSION" sessionCookiePath="/" useHttpOnly="false">
  <Parameter name="both" value="from context.xml" override="false"/>
  <Parameter name="kept" value="from context.xml"/>
  <Parameter name="only" value="META-INF"/>
  <Environment name="maxItems" value="10" type="java.lang.Integer"/>
  <Environment name="greeting" value="hi" type="java.lang.String"/>
  <Environment name="enabled" value="true" type="java.lang.Boolean"/>
</Context>
"""


def with_context_xml(tmp_path, text: str = CONTEXT_XML, name: str = "shop"):
    app = tmp_path / name
    shutil.copytree(APP, app)
    (app / "META-INF").mkdir()
    (app / "META-INF" / "context.xml").write_text(text)
    return app


def show(server, query: str, path: str = "/shop") -> dict:
    answer = get(server, f"{path}/show?{query}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_meta_inf_context_xml_parameters_environment_and_cookie(make_server, tmp_path):
    server = make_server(webapps={"shop": with_context_xml(tmp_path)}, server_xml=server_xml(False)).start()
    body = show(server, "param=both,kept,only,missing&env=maxItems,java:comp/env/greeting,enabled,nothing")
    # override="false": the Parameter wins; the default (true): web.xml's context-param wins.
    assert body["params"] == {
        "both": "from context.xml",
        "kept": "from web.xml",
        "only": "META-INF",
        "missing": None,
    }
    assert body["env"] == {"maxItems": 10, "java:comp/env/greeting": "hi", "enabled": True, "nothing": None}
    assert body["env_names"] == ["maxItems", "greeting", "enabled"]
    answer = get(server, "/shop/session")
    cookie = answer.headers["Set-Cookie"]
    assert cookie == f"SHOPSESSION={answer.text}; Path=/"  # sessionCookiePath, no HttpOnly
    assert "JSESSIONID" not in cookie
    # The cookie is the session's: sent back, it names the same session.
    again = requests.get(server.url + "/shop/session", cookies={"SHOPSESSION": answer.text}, timeout=5)
    assert again.text == answer.text and "Set-Cookie" not in again.headers


def test_conf_descriptor_wins_over_meta_inf(make_server, tmp_path):
    server = make_server(webapps={"shop": with_context_xml(tmp_path)}, server_xml=server_xml(False))
    descriptors = server.base / "conf" / "Catalina" / "localhost"
    descriptors.mkdir(parents=True)
    (descriptors / "shop.xml").write_text('<Context><Parameter name="only" value="conf"/></Context>\n')
    server.start()
    body = show(server, "param=only,both&env=maxItems")
    assert body["params"] == {"only": "conf", "both": "from web.xml"}
    assert body["env"] == {"maxItems": None}  # META-INF/context.xml is not read at all


def test_deploy_xml_false_blocks_a_webapp_with_its_own_context_xml(make_server, tmp_path):
    xml = server_xml(False).replace('autoDeploy="false"', 'autoDeploy="false" deployXML="false"')
    server = make_server(webapps={"shop": with_context_xml(tmp_path), "one": ONE}, server_xml=xml).start()
    assert get(server, "/shop/show").status_code == 503
    assert get(server, "/one/hello").text == "hello from one"
    output = server.output()
    assert "The web application with context path [/shop] was not deployed because it contained a deployment" in (
        output
    )
    assert "prevented by the deployXML setting of this host" in output
    assert str(server.base / "conf" / "Catalina" / "localhost" / "shop.xml") in output


def test_deploy_xml_false_deploys_from_a_conf_descriptor(make_server, tmp_path):
    xml = server_xml(False).replace('autoDeploy="false"', 'autoDeploy="false" deployXML="false"')
    server = make_server(webapps={"shop": with_context_xml(tmp_path)}, server_xml=xml)
    descriptors = server.base / "conf" / "Catalina" / "localhost"
    descriptors.mkdir(parents=True)
    (descriptors / "shop.xml").write_text('<Context><Parameter name="only" value="conf"/></Context>\n')
    server.start()
    assert show(server, "param=only")["params"] == {"only": "conf"}


def test_copy_xml_copies_the_file_to_conf(make_server, tmp_path):
    xml = server_xml(False).replace('autoDeploy="false"', 'autoDeploy="false" copyXML="true"')
    server = make_server(webapps={"shop": with_context_xml(tmp_path)}, server_xml=xml).start()
    copy = server.base / "conf" / "Catalina" / "localhost" / "shop.xml"
    assert copy.read_text() == CONTEXT_XML
    assert show(server, "param=only")["params"] == {"only": "META-INF"}
    # Next start, the copy is a descriptor and wins over the webapp's file.
    copy.write_text(CONTEXT_XML.replace('value="META-INF"', 'value="edited copy"'))
    server.restart()
    assert show(server, "param=only")["params"] == {"only": "edited copy"}


def test_conf_context_xml_defaults_lie_under_every_context(make_server, tmp_path):
    server = make_server(webapps={"shop": with_context_xml(tmp_path), "plain": APP}, server_xml=server_xml(False))
    (server.base / "conf" / "context.xml").write_text(
        "<Context>\n"
        '  <Parameter name="only" value="default"/>\n'
        '  <Parameter name="site" value="example.org"/>\n'
        '  <Environment name="maxItems" value="99" type="java.lang.Long"/>\n'
        "</Context>\n"
    )
    server.start()
    shop = show(server, "param=only,site&env=maxItems")
    assert shop["params"] == {"only": "META-INF", "site": "example.org"}  # the webapp's own file wins
    assert shop["env"] == {"maxItems": 10}
    plain = show(server, "param=only,site&env=maxItems", path="/plain")
    assert plain["params"] == {"only": "default", "site": "example.org"}
    assert plain["env"] == {"maxItems": 99}


def test_watched_resource_change_reloads_the_context(make_server, tmp_path):
    app = with_context_xml(tmp_path, "<Context><WatchedResource>WEB-INF/settings.txt</WatchedResource></Context>\n")
    (app / "WEB-INF" / "settings.txt").write_text("one")
    server = make_server(webapps={"shop": app}, server_xml=server_xml(True)).start()
    loaded = show(server, "")["loaded"]
    (server.base / "webapps" / "shop" / "WEB-INF" / "settings.txt").write_text("two, longer")
    wait_for(server, "/shop/show", lambda r: r.status_code == 200 and r.json()["loaded"] != loaded)
    assert "The watched resource [" in server.output()
    assert "settings.txt] of context [/shop] changed: reloading" in server.output()


def test_manager_max_active_sessions(make_server, tmp_path):
    app = with_context_xml(tmp_path, '<Context>\n  <Manager maxActiveSessions="1" pathname=""/>\n</Context>\n')
    server = make_server(webapps={"shop": app}, server_xml=server_xml(False)).start()
    assert get(server, "/shop/session").status_code == 200
    assert get(server, "/shop/session").status_code == 500  # a second session is refused


def test_malformed_context_xml_stops_only_that_webapp(make_server, tmp_path):
    bad = with_context_xml(tmp_path, '<Context>\n  <Parameter name="x"/>\n</Context>\n')
    broken = with_context_xml(tmp_path, "<Context>\n  <Parameter name=\n</Context>\n", name="broken")
    server = make_server(webapps={"shop": bad, "broken": broken, "one": ONE}, server_xml=server_xml(False)).start()
    wait_for(server, "/one/hello", status_is(200))
    assert get(server, "/shop/show").status_code == 503
    assert get(server, "/broken/show").status_code == 503
    output = server.output()
    meta = server.base / "webapps" / "shop" / "META-INF" / "context.xml"
    assert f"{meta}:2: <Parameter> is missing the required attribute value" in output
    assert "webapps/broken/META-INF/context.xml:" in output


def test_descriptor_doc_base_inside_app_base_is_ignored(make_server, tmp_path):
    server = make_server(webapps={"one": ONE, "shop": APP}, server_xml=server_xml(False))
    descriptors = server.base / "conf" / "Catalina" / "localhost"
    descriptors.mkdir(parents=True)
    (descriptors / "shop.xml").write_text(f'<Context docBase="{server.base / "webapps" / "one"}"/>\n')
    server.start()
    # Tomcat's rule: inside appBase the descriptor's name gives the folder.
    assert get(server, "/shop/show").status_code == 200
    assert "A docBase [" in server.output() and "inside the host appBase has been specified" in server.output()


def test_meta_inf_doc_base_and_path_are_ignored(make_server, tmp_path):
    app = with_context_xml(tmp_path, f'<Context path="/elsewhere" docBase="{ONE}"/>\n')
    server = make_server(webapps={"shop": app}, server_xml=server_xml(False)).start()
    assert get(server, "/shop/show").status_code == 200
    assert get(server, "/elsewhere/hello").status_code == 404
    output = server.output()
    assert "The path attribute with value [/elsewhere] in deployment descriptor [" in output
    assert "the webapp's folder [" in output


def test_editing_meta_inf_context_xml_redeploys(make_server, tmp_path):
    server = make_server(webapps={"shop": with_context_xml(tmp_path)}, server_xml=server_xml(True)).start()
    assert show(server, "param=only")["params"] == {"only": "META-INF"}
    own = server.base / "webapps" / "shop" / "META-INF" / "context.xml"
    own.write_text(CONTEXT_XML.replace('value="META-INF"', 'value="edited, redeployed"'))
    wait_for(server, "/shop/show?param=only", lambda r: r.status_code == 200 and "edited" in r.text)
    # A broken edit: the running version keeps serving, the cause is logged with its line.
    own.write_text("<Context>\n  <Environment name='x' value='1'/>\n</Context>\n")
    wait_for(server, "/shop/show", lambda r: "context.xml:2: <Environment> is missing" in server.output())
    assert show(server, "param=only")["params"] == {"only": "edited, redeployed"}
