# Real-client test: drives evreg (at $EVREG_URL) with Confluent's Python client, confluent-kafka's SchemaRegistryClient and JSON serdes.
import json
import os
import struct
import sys
import uuid

from confluent_kafka.schema_registry import (
    ConfigCompatibilityLevel,
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
    ServerConfig,
)
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

URL = os.environ["EVREG_URL"]
TOPIC = f"evreg-py-{uuid.uuid4().hex[:12]}"
SUBJECT = f"{TOPIC}-value"  # what the default TopicNameStrategy picks for a value
FAILED = []


def schema(props):
    doc = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "UserCreated",
        "description": f"evreg client test {TOPIC}",  # unique per run, so ids are this run's own
        "type": "object",
        "properties": props,
        "required": ["id"],
        "additionalProperties": False,
    }
    return Schema(json.dumps(doc, separators=(",", ":")), "JSON")


V1 = schema({"id": {"type": "string"}, "age": {"type": "integer"}})
V2 = schema({"id": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": "string"}})
BAD = schema({"id": {"type": "string"}, "age": {"type": "string"}})


def fresh():
    """A new client each time, so reads go to the server rather than the client's cache."""
    return SchemaRegistryClient({"url": URL, "max.retries": 0})


def check(name, fn):
    try:
        fn()
        print(f"ok   {name}")
    except Exception as e:  # an assertion or a client/server error: both are failures
        FAILED.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")


state = {}


def register_v1():
    sid = fresh().register_schema(SUBJECT, V1)
    assert isinstance(sid, int) and sid > 0, f"register_schema returned {sid!r}, want a positive int"
    state["id1"] = sid


def get_schema():
    s = fresh().get_schema(state["id1"])
    assert s.schema_type == "JSON", f"schema_type {s.schema_type!r}, want 'JSON'"
    assert json.loads(s.schema_str) == json.loads(V1.schema_str), f"schema differs: {s.schema_str}"


def get_version_1():
    r = fresh().get_version(SUBJECT, 1)
    assert (r.subject, r.version, r.schema_id) == (SUBJECT, 1, state["id1"]), f"got {r}"
    assert r.schema.schema_type == "JSON", f"schema_type {r.schema.schema_type!r}"
    assert json.loads(r.schema.schema_str) == json.loads(V1.schema_str), f"schema differs: {r.schema.schema_str}"


def get_latest_v1():
    r = fresh().get_latest_version(SUBJECT)
    assert (r.version, r.schema_id) == (1, state["id1"]), f"got version={r.version} id={r.schema_id}"


def register_again():
    sid = fresh().register_schema(SUBJECT, V1)
    assert sid == state["id1"], f"same schema re-registered got id {sid}, want {state['id1']}"
    versions = fresh().get_versions(SUBJECT)
    assert versions == [1], f"versions after re-register {versions}, want [1]"


def config_round_trip():
    c = fresh()
    c.set_config(SUBJECT, ServerConfig(compatibility=ConfigCompatibilityLevel.BACKWARD))
    got = c.get_config(SUBJECT)
    assert got.compatibility_level == ConfigCompatibilityLevel.BACKWARD, f"get_config gave {got}"
    assert c.get_compatibility(SUBJECT) == "BACKWARD", "get_compatibility != BACKWARD"


def compat_true():
    ok = fresh().test_compatibility(SUBJECT, V2)
    assert ok is True, f"adding an optional property under BACKWARD: is_compatible={ok!r}, want True"


def compat_false():
    ok = fresh().test_compatibility(SUBJECT, BAD)
    assert ok is False, f"changing age integer->string: is_compatible={ok!r}, want False"


def register_incompatible_refused():
    try:
        fresh().register_schema(SUBJECT, BAD)
    except SchemaRegistryError as e:
        assert e.http_status_code == 409, f"refusal status {e.http_status_code}, want 409 ({e})"
        return
    raise AssertionError("incompatible schema was registered")


def register_v2():
    sid = fresh().register_schema(SUBJECT, V2)
    assert sid != state["id1"], "v2 got v1's id"
    state["id2"] = sid
    r = fresh().get_latest_version(SUBJECT)
    assert (r.version, r.schema_id) == (2, sid), f"latest is version={r.version} id={r.schema_id}, want 2/{sid}"


def lookup():
    r = fresh().lookup_schema(SUBJECT, V1)
    assert (r.subject, r.version, r.schema_id) == (SUBJECT, 1, state["id1"]), f"lookup v1 gave {r}"
    r = fresh().lookup_schema(SUBJECT, V2)
    assert (r.version, r.schema_id) == (2, state["id2"]), f"lookup v2 gave {r}"


def lookup_missing():
    try:
        fresh().lookup_schema(SUBJECT, BAD)
    except SchemaRegistryError as e:
        assert e.http_status_code == 404, f"status {e.http_status_code}, want 404"
        return
    raise AssertionError("lookup of an unregistered schema succeeded")


def subjects():
    subs = fresh().get_subjects()
    assert SUBJECT in subs, f"{SUBJECT} not in get_subjects() ({len(subs)} subjects)"


def serde():
    client = fresh()
    ctx = SerializationContext(TOPIC, MessageField.VALUE)
    value = {"id": "u-1", "age": 42, "email": "a@example.com"}
    ser = JSONSerializer(None, client, conf={"auto.register.schemas": False, "use.latest.version": True})
    data = ser(value, ctx)
    assert data[0] == 0, f"magic byte {data[0]}, want 0"
    (sid,) = struct.unpack(">I", data[1:5])
    assert sid == state["id2"], f"framed schema id {sid}, want latest id {state['id2']}"
    assert json.loads(data[5:]) == value, f"payload {data[5:]!r}"
    back = JSONDeserializer(None, schema_registry_client=fresh())(data, ctx)
    assert back == value, f"deserialized {back!r}, want {value!r}"


def serde_auto_register():
    ctx = SerializationContext(TOPIC, MessageField.VALUE)
    ser = JSONSerializer(V2.schema_str, fresh(), conf={"auto.register.schemas": True})
    data = ser({"id": "u-2"}, ctx)
    assert data[:5] == b"\x00" + struct.pack(">I", state["id2"]), f"header {data[:5].hex()}"
    try:
        ser({"id": "u-3", "age": "old"}, ctx)
    except SerializationError as e:
        assert "integer" in str(e), f"unexpected error {e}"
    else:
        raise AssertionError("serializer accepted a payload that violates the schema")


def schema_usage():
    c = fresh()
    uses = [(v.subject, v.version) for v in c.get_schema_versions(state["id1"])]
    assert uses == [(SUBJECT, 1)], f"get_schema_versions({state['id1']}) gave {uses}"
    subs = c.get_subjects_by_schema_id(state["id2"])
    assert subs == [SUBJECT], f"get_subjects_by_schema_id gave {subs}"


def delete_subject():
    c = fresh()
    assert c.delete_subject(SUBJECT) == [1, 2], "soft delete did not return [1, 2]"
    assert SUBJECT not in c.get_subjects(), "soft-deleted subject still listed"
    assert SUBJECT in c.get_subjects(deleted=True), "soft-deleted subject not listed with deleted=True"
    assert c.delete_subject(SUBJECT, permanent=True) == [1, 2], "permanent delete did not return [1, 2]"
    assert SUBJECT not in c.get_subjects(deleted=True), "permanently deleted subject still listed"


CHECKS = [
    ("register v1 -> id", register_v1),
    ("get_schema(id) returns the schema, type JSON", get_schema),
    ("get_version(subject, 1)", get_version_1),
    ("get_latest_version == v1", get_latest_v1),
    ("register same schema again -> same id, no new version", register_again),
    ("set_config/get_config BACKWARD round trip", config_round_trip),
    ("test_compatibility(optional property added) is True", compat_true),
    ("test_compatibility(property type changed) is False", compat_false),
    ("register incompatible -> 409", register_incompatible_refused),
    ("register v2 -> version 2", register_v2),
    ("lookup_schema v1 and v2", lookup),
    ("lookup_schema of unregistered schema -> 404", lookup_missing),
    ("get_subjects contains subject", subjects),
    ("JSONSerializer(use.latest.version) framing + JSONDeserializer round trip", serde),
    ("JSONSerializer(auto.register) framing + validation", serde_auto_register),
    ("get_schema_versions / get_subjects_by_schema_id", schema_usage),
    ("delete_subject soft, then permanent", delete_subject),
]
for name, fn in CHECKS:
    check(name, fn)

print(f"python: {len(CHECKS) - len(FAILED)} passed, {len(FAILED)} failed")
sys.exit(1 if FAILED else 0)
