"""MirrorMaker 2's topic ACL sync (issue 20, Kafka's `sync.topic.acls.*`) between two clusters with an authorizer:
the source's LITERAL TOPIC ACLs of mirrored topics reach the remote topics, ALLOW WRITE left out (only the mirror
writes there), ALLOW ALL turned into READ, DENY copied, PREFIXED and unmirrored topics' ACLs ignored. Checked with
confluent-kafka's admin client on the target."""
import pytest
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   ResourcePatternType, ResourceType)

from conftest import cluster_pair, single_broker, wait_for
from test_mirror_maker2 import MirrorMaker, create

SECURED = {"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer", "super.users": "User:ANONYMOUS"}


@pytest.fixture(scope="module")
def secured_clusters():
    """Two one-broker clusters with the ACL authorizer; the PLAINTEXT clients (ANONYMOUS) are super users."""
    yield from cluster_pair(single_broker(SECURED), lambda _: single_broker(SECURED))


def acl(topic, principal, operation, permission=AclPermissionType.ALLOW, pattern=ResourcePatternType.LITERAL):
    return AclBinding(ResourceType.TOPIC, topic, pattern, principal, "*", operation, permission)


def topic_acls(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    found = admin.describe_acls(AclBindingFilter(ResourceType.TOPIC, topic, ResourcePatternType.ANY, None, None,
                                                 AclOperation.ANY, AclPermissionType.ANY)).result(timeout=30)
    return {(b.name, b.resource_pattern_type, b.principal, b.operation, b.permission_type) for b in found}


def test_mm2_copies_topic_acls_to_remote_topics(secured_clusters, tmp_path):
    source, target = secured_clusters
    create(source.bootstrap, ["secured", "unmirrored"], partitions=1)
    admin = AdminClient({"bootstrap.servers": source.bootstrap})
    for future in admin.create_acls([
        acl("secured", "User:alice", AclOperation.WRITE),
        acl("secured", "User:alice", AclOperation.ALL),
        acl("secured", "User:bob", AclOperation.READ, AclPermissionType.DENY),
        acl("secured", "User:carol", AclOperation.DESCRIBE),
        acl("sec", "User:dave", AclOperation.READ, pattern=ResourcePatternType.PREFIXED),
        acl("unmirrored", "User:erin", AclOperation.READ),
    ]).values():
        future.result(timeout=30)
    mirror = MirrorMaker(tmp_path, source, target, {
        "A->B.enabled": "true", "A->B.topics": "secured", "sync.topic.acls.interval.seconds": "2"})
    try:
        expected = {
            ("A.secured", ResourcePatternType.LITERAL, "User:alice", AclOperation.READ, AclPermissionType.ALLOW),
            ("A.secured", ResourcePatternType.LITERAL, "User:bob", AclOperation.READ, AclPermissionType.DENY),
            ("A.secured", ResourcePatternType.LITERAL, "User:carol", AclOperation.DESCRIBE, AclPermissionType.ALLOW),
        }
        wait_for(lambda: topic_acls(target.bootstrap, "A.secured") == expected, 60, "A.secured's ACLs on B")
        # An ACL added later on A follows within the interval.
        admin.create_acls([acl("secured", "User:frank", AclOperation.READ)])[
            acl("secured", "User:frank", AclOperation.READ)].result(timeout=30)
        expected.add(("A.secured", ResourcePatternType.LITERAL, "User:frank", AclOperation.READ,
                      AclPermissionType.ALLOW))
        wait_for(lambda: topic_acls(target.bootstrap, "A.secured") == expected, 60, "frank's ACL on B")
        assert topic_acls(target.bootstrap, "A.unmirrored") == set()
        assert topic_acls(target.bootstrap, "A.sec") == set()
    finally:
        assert mirror.stop() == 0, mirror.text()
    assert "No ACL authorizer" not in mirror.text()
