"""The rendered NetworkPolicies let into each VTN pod and out of it exactly what deploy/k8s/README.md says.

Kubernetes adds up the rules of every policy that selects a pod (a pod selected by none is open); these
tests collect, for each pod of each layer, every ingress and egress rule that applies and compare them
with the intended paths: VENs to the gateway's VEN port only through the load balancer or the ingress
controller, the admin port only from named admin clients, health and metrics only from the monitoring
namespace, and out only to DNS, Kafka, PostgreSQL, (the pusher) VENs for HTTP push and (the XMPP
connector) the XMPP server; the XMPP server's client port only from VENs outside the cluster and the
connector, and nothing out of it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.deploy.conftest import LAYERS, Resource, by_kind, one_named

Render = Callable[[str], list[Resource]]
Rule = dict[str, Any]
XMPP_SERVER = "vtn-xmpp-server"
XMPP_SERVER_PODS = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "xmpp-server"}}}
CONNECTOR_PODS = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway-xmpp"}}}
PRIVATE_RANGES = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}
DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def _selects(policy: Resource, labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are used (and checked) here"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _pods(rendered: list[Resource]) -> dict[str, dict[str, Any]]:
    """Workload name -> its pod template (labels, containers)."""
    return {r["metadata"]["name"]: r["spec"]["template"] for r in rendered if r["kind"] in ("Deployment", "Job")}


def _rules(rendered: list[Resource], labels: dict[str, str], direction: str) -> list[Rule]:
    """Every ingress or egress rule that applies to a pod with these labels, across all policies."""
    kind = direction.capitalize()
    return [
        rule
        for policy in by_kind(rendered, "NetworkPolicy").values()
        if _selects(policy, labels) and kind in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get(direction, [])
    ]


def _ports(rule: Rule) -> set[tuple[str, object]]:
    return {(p.get("protocol", "TCP"), p["port"]) for p in rule["ports"]}


def _container_ports(template: dict[str, Any]) -> set[str]:
    return {p["name"] for c in template["spec"]["containers"] for p in c.get("ports", [])}


@pytest.mark.parametrize("layer", LAYERS)
def test_every_pod_starts_from_deny_all_in_both_directions(render: Render, layer: str) -> None:
    rendered = render(layer)
    policies = by_kind(rendered, "NetworkPolicy").values()
    for name, template in _pods(rendered).items():
        labels = template["metadata"]["labels"]
        assert any(_selects(p, labels) and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in policies), (
            f"{name} is selected by no policy of both types: it would be open"
        )


@pytest.mark.parametrize("layer", LAYERS)
def test_no_rule_opens_a_port_to_everyone_or_everything(render: Render, layer: str) -> None:
    """A rule without peers or without ports allows all of them: none is written that way."""
    for policy in by_kind(render(layer), "NetworkPolicy").values():
        for rule in policy["spec"].get("ingress", []):
            assert rule.get("from") and rule.get("ports"), policy["metadata"]["name"]
        for rule in policy["spec"].get("egress", []):
            assert rule.get("to") and rule.get("ports"), policy["metadata"]["name"]


@pytest.mark.parametrize("layer", LAYERS)
def test_the_services_and_the_setup_job_accept_only_scraping_from_the_monitoring_namespace(
    render: Render, layer: str
) -> None:
    rendered = render(layer)
    for name, template in _pods(rendered).items():
        if name in ("vtn-gateway", XMPP_SERVER):
            continue
        for rule in _rules(rendered, template["metadata"]["labels"], "ingress"):
            assert rule["from"] == [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
            ]
            # named ports open only what the pod has: the health port (a Job has none)
            assert {port for _, port in _ports(rule)} & _container_ports(template) <= {"health"}


def _gateway_ingress(rendered: list[Resource]) -> dict[object, list[dict[str, Any]]]:
    """The gateway's port -> every peer allowed to reach it."""
    template = _pods(rendered)["vtn-gateway"]
    allowed: dict[object, list[dict[str, Any]]] = {}
    for rule in _rules(rendered, template["metadata"]["labels"], "ingress"):
        for _, port in _ports(rule):
            if port in _container_ports(template):  # a named port the pod does not have opens nothing
                allowed.setdefault(port, []).extend(rule["from"])
    return allowed


def test_the_gateways_ven_port_is_reached_only_from_outside_the_cluster_through_the_load_balancer(
    render: Render,
) -> None:
    allowed = _gateway_ingress(render("overlays/example"))
    assert set(allowed) == {"oadr", "admin"}
    [peer] = allowed["oadr"]
    assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert PRIVATE_RANGES <= set(peer["ipBlock"]["except"]), "no pod or node address may reach the VEN port"


def test_behind_the_ingress_only_the_controllers_pods_reach_the_ven_port(render: Render) -> None:
    allowed = _gateway_ingress(render("overlays/example-ingress"))
    assert allowed["oadr"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
            },
        }
    ]


def test_behind_the_ingress_the_certificate_header_is_trusted_only_from_the_controllers_address_pool(
    render: Render,
) -> None:
    """Not the whole pod network: a pod there could otherwise claim any VEN's certificate in the header."""
    env = by_kind(render("overlays/example-ingress"), "Deployment")["vtn-gateway"]["spec"]["template"]["spec"]
    values = {e["name"]: e.get("value") for e in env["containers"][0]["env"]}
    networks = [ipaddress.ip_network(p.strip()) for p in values["VTN_TRUSTED_PROXIES"].split(",")]
    assert networks and all(network.prefixlen >= 24 for network in networks)


@pytest.mark.parametrize("layer", LAYERS)
def test_the_admin_port_is_reached_only_by_named_admin_clients_and_the_monitoring(render: Render, layer: str) -> None:
    peers = _gateway_ingress(render(layer))["admin"]
    assert sorted(peers, key=str) == sorted(
        [
            {
                "namespaceSelector": {"matchLabels": {"openadr-vtn/admin-clients": "true"}},
                "podSelector": {"matchLabels": {"openadr-vtn/admin-client": "true"}},
            },
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
        ],
        key=str,
    )


def _namespace_of(peer: dict[str, Any]) -> str:
    return str(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])


@pytest.mark.parametrize("layer", LAYERS)
def test_pods_reach_out_only_to_dns_kafka_postgresql_the_pusher_to_vens_and_the_connector_to_the_xmpp_server(
    render: Render, layer: str
) -> None:
    rendered = render(layer)
    for name, template in _pods(rendered).items():
        rules = _rules(rendered, template["metadata"]["labels"], "egress")
        if name == XMPP_SERVER:
            assert rules == [], "the XMPP server opens no connection"
            continue
        xmpp = [r for r in rules if r["to"] == [XMPP_SERVER_PODS]]
        if name == "vtn-gateway-xmpp":
            assert [_ports(r) for r in xmpp] == [{("TCP", 5222)}]
        else:
            assert xmpp == [], f"{name} may not reach the XMPP server"
        rules = [r for r in rules if r not in xmpp]
        dns = [r for r in rules if r["to"] == [DNS_PEER]]
        assert len(dns) == 1 and _ports(dns[0]) == {("UDP", 53), ("TCP", 53)}
        push = [r for r in rules if any("ipBlock" in peer for peer in r["to"])]
        if name == "vtn-gateway-push":
            [rule] = push
            assert _ports(rule) == {("TCP", 443)}
            assert PRIVATE_RANGES <= set(rule["to"][0]["ipBlock"]["except"])
        else:
            assert push == [], f"{name} may not open connections to arbitrary addresses"
        others = [r for r in rules if r not in dns and r not in push]
        assert sorted(_namespace_of(peer) for r in others for peer in r["to"]) == sorted(
            [_kafka_namespace(rendered), "database"]
        )


def _kafka_namespace(rendered: list[Resource]) -> str:
    """The namespace of the brokers in VTN_KAFKA_BOOTSTRAP (<pod.>service.namespace.svc:port, one namespace)."""
    bootstrap = one_named(rendered, "ConfigMap", "vtn-config")["data"]["VTN_KAFKA_BOOTSTRAP"]
    hosts = [host.split(":")[0].split(".") for host in bootstrap.split(",")]
    [namespace] = {parts[parts.index("svc") - 1] for parts in hosts}
    return namespace


@pytest.mark.parametrize("layer", LAYERS)
def test_the_kafka_rule_covers_the_brokers_the_vtn_is_configured_with(render: Render, layer: str) -> None:
    rendered = render(layer)
    kafka = by_kind(rendered, "NetworkPolicy")["vtn-egress-kafka"]["spec"]["egress"]
    bootstrap = one_named(rendered, "ConfigMap", "vtn-config")["data"]["VTN_KAFKA_BOOTSTRAP"]
    ports = {int(urlsplit(f"//{host}").port or 9092) for host in bootstrap.split(",")}
    assert ports <= {port for rule in kafka for _, port in _ports(rule)}
    assert {_namespace_of(peer) for rule in kafka for peer in rule["to"]} == {_kafka_namespace(rendered)}


def test_the_example_points_the_kafka_rule_at_its_own_kafka(render: Render) -> None:
    assert _kafka_namespace(render("overlays/example")) == "messaging"


@pytest.mark.parametrize("layer", LAYERS)
def test_the_xmpp_servers_client_port_is_reached_only_by_vens_from_outside_and_by_the_connector(
    render: Render, layer: str
) -> None:
    rendered = render(layer)
    template = _pods(rendered)[XMPP_SERVER]
    labels = template["metadata"]["labels"]
    assert labels["app.kubernetes.io/part-of"] != "openadr-vtn", "the VTN's shared egress rules are not for it"
    policies = by_kind(rendered, "NetworkPolicy").values()
    assert any(_selects(p, labels) and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in policies)
    rules = _rules(rendered, labels, "ingress")
    assert {port for rule in rules for _, port in _ports(rule)} == {"xmpp"} == _container_ports(template)
    peers = [peer for rule in rules for peer in rule["from"]]
    [outside] = [peer for peer in peers if "ipBlock" in peer]
    assert outside["ipBlock"]["cidr"] == "0.0.0.0/0" and PRIVATE_RANGES <= set(outside["ipBlock"]["except"])
    assert [peer for peer in peers if peer is not outside] == [CONNECTOR_PODS]
    connector_labels = _pods(rendered)["vtn-gateway-xmpp"]["metadata"]["labels"]
    assert all(connector_labels[k] == v for k, v in CONNECTOR_PODS["podSelector"]["matchLabels"].items())
