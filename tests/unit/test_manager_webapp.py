"""What ``webapps/manager`` ships with: never reachable from other machines
without a login, and a login block ready to switch on (docs/deployment.md,
"The Manager", "Who may use it")."""

from __future__ import annotations

import re

from lxml import etree

from catalina_py.config.context_spec import load_context_descriptor
from tests.server import REPO

MANAGER = REPO / "webapps" / "manager"
NS = {"j": "https://jakarta.ee/xml/ns/jakartaee"}


def test_shipped_privileged_and_loopback_only():
    config, warnings = load_context_descriptor(str(MANAGER / "META-INF" / "context.xml"), "/manager", {})
    assert warnings == []
    assert config.attributes.get("privileged") == "true"
    [valve] = config.valves
    assert valve.python_class.endswith("RemoteAddrValve")
    allow = re.compile(valve.attributes["allow"])
    for address in ("127.0.0.1", "127.3.4.5", "::1", "0:0:0:0:0:0:0:1"):
        assert allow.fullmatch(address), address
    for address in ("10.0.0.1", "192.168.1.2", "1.127.0.0", "::2", "127.0.0.1.evil"):
        assert not allow.fullmatch(address), address
    assert "deny" not in valve.attributes


def test_the_login_is_on_with_tomcats_roles():
    root = etree.fromstring((MANAGER / "WEB-INF" / "web.xml").read_bytes())
    constraints = {
        c.findtext("j:web-resource-collection/j:url-pattern", namespaces=NS): c.findtext(
            "j:auth-constraint/j:role-name", namespaces=NS
        )
        for c in root.findall("j:security-constraint", NS)
    }
    assert constraints == {"/text/*": "manager-script", "/html/*": "manager-gui"}
    assert root.findtext("j:login-config/j:auth-method", namespaces=NS) == "BASIC"
    roles = {r.findtext("j:role-name", namespaces=NS) for r in root.findall("j:security-role", NS)}
    assert roles == {"manager-script", "manager-gui"}
