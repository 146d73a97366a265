"""Exports to and imports from an S3-compatible service (`--s3-endpoint`), with boto3.

The service is moto's S3 server, in this process, with its IAM checks on: every request
dynalith makes must carry a SigV4 signature that moto (with botocore's signer) finds valid
for the access key's secret, so a signing mistake fails these tests. In front of moto, which
does not check it, the expected bucket owner header is checked as S3 does. boto3 manages the
tables, exports and imports on a dynalith of this test's own and reads the objects back from
moto.
"""

import gzip
import json
import os
import time
import uuid

# moto reads this when it is imported: the first three requests (the IAM user, its policy and
# its key) are served without credentials, every later one needs a valid signature.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from test_boto3 import own_server  # noqa: E402

REGION = "us-east-1"
DUMMY = dict(region_name=REGION, aws_access_key_id="dummy", aws_secret_access_key="dummy")
# The account moto's users, and so the buckets they create, belong to.
ACCOUNT = "123456789012"


class BucketOwnerCheck:
    """WSGI middleware doing what S3 does with `x-amz-expected-bucket-owner` and moto does not:
    a request naming another account than the bucket's owner is refused with 403 AccessDenied.
    Records each request's path and the header, if any."""

    def __init__(self, app):
        self.app = app
        self.seen = []

    def __call__(self, environ, start_response):
        owner = environ.get("HTTP_X_AMZ_EXPECTED_BUCKET_OWNER")
        self.seen.append((environ.get("PATH_INFO", ""), owner))
        if owner is not None and owner != ACCOUNT:
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            return [b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                    b"<Message>Access Denied</Message></Error>"]
        return self.app(environ, start_response)


class S3Service(ThreadedMotoServer):
    """moto's threaded server with `BucketOwnerCheck` in front."""

    def _server_entry(self):
        self.owner_check = BucketOwnerCheck(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, self.owner_check, True)
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture(scope="module")
def s3_service():
    """moto on a free port; yields (endpoint, access key, secret) of a user allowed everything,
    and the `BucketOwnerCheck` in front of it."""
    server = S3Service(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        iam = boto3.client("iam", endpoint_url=endpoint, **DUMMY)
        iam.create_user(UserName="exporter")
        iam.put_user_policy(UserName="exporter", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }))
        key = iam.create_access_key(UserName="exporter")["AccessKey"]
        yield endpoint, key["AccessKeyId"], key["SecretAccessKey"], server.owner_check
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3(s3_service):
    endpoint, access_key, secret, _ = s3_service
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=access_key, aws_secret_access_key=secret)


@pytest.fixture(scope="module")
def dynamodb(s3_service):
    endpoint, access_key, secret, _ = s3_service
    for dynalith in own_server("--s3-endpoint", endpoint,
                               "--s3-credentials", f"{access_key}:{secret}"):
        yield boto3.client("dynamodb", endpoint_url=dynalith, **DUMMY)


def new_bucket(s3):
    name = f"exports-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def table_with_recovery(dynamodb, name):
    arn = dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    dynamodb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return arn


def finished(describe, status):
    """Polls `describe` until the job's `status` field leaves IN_PROGRESS; returns the job."""
    for _ in range(300):
        job = describe()
        if job[status] != "IN_PROGRESS":
            return job
        time.sleep(0.1)
    pytest.fail(f"job {job} did not finish")


def finished_export(dynamodb, arn):
    return finished(lambda: dynamodb.describe_export(ExportArn=arn)["ExportDescription"],
                    "ExportStatus")


def finished_import(dynamodb, arn):
    return finished(lambda: dynamodb.describe_import(ImportArn=arn)["ImportTableDescription"],
                    "ImportStatus")


def import_into(dynamodb, table, bucket, prefix, input_format, compression="NONE", owner=None):
    source = {"S3Bucket": bucket, "S3KeyPrefix": prefix}
    if owner is not None:
        source["S3BucketOwner"] = owner
    started = dynamodb.import_table(
        S3BucketSource=source,
        InputFormat=input_format, InputCompressionType=compression,
        TableCreationParameters={
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST"})
    return finished_import(dynamodb, started["ImportTableDescription"]["ImportArn"])


def all_items(dynamodb, table):
    pages = dynamodb.get_paginator("scan").paginate(TableName=table)
    items = [item for page in pages for item in page["Items"]]
    return sorted(items, key=lambda item: (item["pk"]["S"], int(item["sk"]["N"])))


@pytest.mark.parametrize("export_format", ["DYNAMODB_JSON", "ION"])
def test_an_export_lands_in_the_bucket_and_imports_back(s3, dynamodb, export_format):
    source = f"src-{uuid.uuid4().hex[:8]}"
    arn = table_with_recovery(dynamodb, source)
    for n in range(60):
        dynamodb.put_item(TableName=source, Item={
            # Keys that S3 paths and signatures must encode: spaces, '+', '=', '&', non-ASCII.
            "pk": {"S": f"user {n % 7}+é&={n % 3}"}, "sk": {"N": str(n)},
            "bin": {"B": bytes([n, 0, 255])}, "tags": {"SS": ["a", f"t{n}"]},
            "doc": {"M": {"list": {"L": [{"N": "1.5"}, {"NULL": True}, {"BOOL": n % 2 == 0}]}}},
        })
    bucket = new_bucket(s3)
    prefix = "nightly exports/run+1=é"
    export = finished_export(dynamodb, dynamodb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3Prefix=prefix,
        ExportFormat=export_format)["ExportDescription"]["ExportArn"])
    assert export["ExportStatus"] == "COMPLETED", export
    assert export["ItemCount"] == 60

    # The objects are where DynamoDB puts them, and the manifests describe the data files.
    base = export["ExportManifest"].rsplit("/", 1)[0]
    assert base.startswith(f"{prefix}/AWSDynamoDB/")
    keys = {obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket, Prefix=base)["Contents"]}
    assert {f"{base}/_started", f"{base}/manifest-summary.json",
            f"{base}/manifest-files.json"} <= keys
    summary = json.loads(s3.get_object(Bucket=bucket, Key=f"{base}/manifest-summary.json")["Body"].read())
    assert summary["itemCount"] == 60 and summary["outputFormat"] == export_format
    files = [json.loads(line) for line in s3.get_object(
        Bucket=bucket, Key=f"{base}/manifest-files.json")["Body"].read().splitlines()]
    assert sum(f["itemCount"] for f in files) == 60
    for f in files:
        gzip.decompress(s3.get_object(Bucket=bucket, Key=f["dataFileS3Key"])["Body"].read())

    copy = f"copy-{uuid.uuid4().hex[:8]}"
    imported = import_into(dynamodb, copy, bucket, f"{base}/data/", export_format, "GZIP")
    assert imported["ImportStatus"] == "COMPLETED", imported
    assert imported["ImportedItemCount"] == 60
    assert all_items(dynamodb, copy) == all_items(dynamodb, source)


def test_an_import_reads_every_page_of_the_object_list(s3, dynamodb):
    # More objects than one ListObjectsV2 page holds (1,000): the import must follow
    # the continuation token.
    bucket = new_bucket(s3)
    for n in range(1005):
        s3.put_object(Bucket=bucket, Key=f"csv/part-{n:05d}.csv",
                      Body=f"pk,sk,v\nitem{n},{n},value {n}\n".encode())
    table = f"paged-{uuid.uuid4().hex[:8]}"
    imported = import_into(dynamodb, table, bucket, "csv/", "CSV")
    assert imported["ImportStatus"] == "COMPLETED", imported
    assert imported["ImportedItemCount"] == 1005
    items = all_items(dynamodb, table)
    assert len(items) == 1005
    assert {item["v"]["S"] for item in items} == {f"value {n}" for n in range(1005)}


def test_s3s_refusals_fail_the_export_or_import_with_s3s_code(s3_service, s3, dynamodb):
    source = f"src-{uuid.uuid4().hex[:8]}"
    arn = table_with_recovery(dynamodb, source)
    dynamodb.put_item(TableName=source, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    missing = finished_export(dynamodb, dynamodb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=f"missing-{uuid.uuid4().hex[:8]}")["ExportDescription"]["ExportArn"])
    assert missing["ExportStatus"] == "FAILED"
    assert missing["FailureCode"] == "S3NoSuchBucket"

    failed_import = import_into(dynamodb, f"none-{uuid.uuid4().hex[:8]}",
                                f"missing-{uuid.uuid4().hex[:8]}", "x/", "DYNAMODB_JSON")
    assert failed_import["ImportStatus"] == "FAILED"
    assert failed_import["FailureCode"] == "S3NoSuchBucket"

    # A server whose secret is not the key's: S3 finds its signatures wrong.
    endpoint, access_key, _, _ = s3_service
    for dynalith in own_server("--s3-endpoint", endpoint,
                               "--s3-credentials", f"{access_key}:not-the-secret"):
        wrong = boto3.client("dynamodb", endpoint_url=dynalith, **DUMMY)
        other = f"src-{uuid.uuid4().hex[:8]}"
        other_arn = table_with_recovery(wrong, other)
        export = finished_export(wrong, wrong.export_table_to_point_in_time(
            TableArn=other_arn, S3Bucket=new_bucket(s3))["ExportDescription"]["ExportArn"])
        assert export["ExportStatus"] == "FAILED"
        assert export["FailureCode"] == "S3SignatureDoesNotMatch"


@pytest.mark.parametrize("sse", [
    {},
    {"S3SseAlgorithm": "AES256"},
    {"S3SseAlgorithm": "KMS", "S3SseKmsKeyId": "arn:aws:kms:us-east-1:000000000000:key/exports"},
])
def test_an_export_asks_s3_for_the_encryption_it_names(s3, dynamodb, sse):
    source = f"src-{uuid.uuid4().hex[:8]}"
    arn = table_with_recovery(dynamodb, source)
    dynamodb.put_item(TableName=source, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    bucket = new_bucket(s3)
    export = finished_export(dynamodb, dynamodb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, **sse)["ExportDescription"]["ExportArn"])
    assert export["ExportStatus"] == "COMPLETED", export
    keys = [obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 6  # _started, a data file, two manifests and their checksums
    expected = {"AES256": "AES256", "KMS": "aws:kms"}.get(sse.get("S3SseAlgorithm"))
    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head.get("ServerSideEncryption") == expected, (key, head)
        assert head.get("SSEKMSKeyId") == sse.get("S3SseKmsKeyId"), (key, head)


def test_s3_checks_the_bucket_owner_the_export_or_import_names(s3_service, s3, dynamodb):
    owner_check = s3_service[3]
    source = f"src-{uuid.uuid4().hex[:8]}"
    arn = table_with_recovery(dynamodb, source)
    dynamodb.put_item(TableName=source, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    bucket = new_bucket(s3)

    owned = finished_export(dynamodb, dynamodb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3BucketOwner=ACCOUNT)["ExportDescription"]["ExportArn"])
    assert owned["ExportStatus"] == "COMPLETED", owned
    assert owned["S3BucketOwner"] == ACCOUNT
    sent = [owner for path, owner in owner_check.seen if path.startswith(f"/{bucket}/")]
    assert len(sent) == 6 and set(sent) == {ACCOUNT}, sent
    base = owned["ExportManifest"].rsplit("/", 1)[0]
    before = len(owner_check.seen)
    imported = import_into(dynamodb, f"copy-{uuid.uuid4().hex[:8]}", bucket, f"{base}/data/",
                           "DYNAMODB_JSON", "GZIP", owner=ACCOUNT)
    assert imported["ImportStatus"] == "COMPLETED", imported
    # The list of the objects and the read of the data file.
    sent = [owner for path, owner in owner_check.seen[before:] if path.startswith(f"/{bucket}")]
    assert len(sent) == 2 and set(sent) == {ACCOUNT}, sent

    others = "111122223333"
    refused = finished_export(dynamodb, dynamodb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=bucket, S3BucketOwner=others)["ExportDescription"]["ExportArn"])
    assert refused["ExportStatus"] == "FAILED"
    assert refused["FailureCode"] == "S3AccessDenied"
    refused_import = import_into(dynamodb, f"none-{uuid.uuid4().hex[:8]}", bucket,
                                 f"{base}/data/", "DYNAMODB_JSON", "GZIP", owner=others)
    assert refused_import["ImportStatus"] == "FAILED"
    assert refused_import["FailureCode"] == "S3AccessDenied"
    assert refused_import["S3BucketSource"]["S3BucketOwner"] == others
