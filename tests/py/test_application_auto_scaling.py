"""Application Auto Scaling's API on dynalith's endpoint, through boto3's
"application-autoscaling" client: the calls Terraform's aws_appautoscaling_*,
CloudFormation and CDK make to set DynamoDB auto scaling.

Needs DYNALITH_ENDPOINT and DYNALITH_BIN, as test_boto3.py does."""

import os
import re
import subprocess
import tempfile
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from test_boto3 import (ResponseChecker, _session_kwargs, own_server, unique_name,
                        wait_active)

TABLE_READ = "dynamodb:table:ReadCapacityUnits"
TABLE_WRITE = "dynamodb:table:WriteCapacityUnits"
INDEX_READ = "dynamodb:index:ReadCapacityUnits"
INDEX_WRITE = "dynamodb:index:WriteCapacityUnits"


@pytest.fixture
def checker():
    c = ResponseChecker()
    yield c
    assert not c.problems, "response header problems:\n" + "\n".join(c.problems)


def clients(checker, endpoint=None):
    kwargs = _session_kwargs()
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    dynamodb = boto3.client("dynamodb", **kwargs)
    scaling = boto3.client("application-autoscaling", **kwargs)
    dynamodb.meta.events.register("after-call.dynamodb.*", checker)
    scaling.meta.events.register("after-call.application-autoscaling.*", checker)
    return dynamodb, scaling


def provisioned_table(dynamodb, name, read=5, write=5, billing="PROVISIONED"):
    throughput = {"ReadCapacityUnits": read, "WriteCapacityUnits": write}
    extra = {"ProvisionedThroughput": throughput} if billing == "PROVISIONED" else {}
    index = {"IndexName": "by_sk", "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}, **extra}
    dynamodb.create_table(
        TableName=name, BillingMode=billing,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[index], **extra)
    wait_active(dynamodb, name)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def target_tracking(metric, value=50.0, **more):
    return {"TargetValue": value,
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric}, **more}


def test_targets_and_policies_round_trip_and_show_in_dynamodb(checker):
    """Terraform's sequence for a table and its index: register the targets, put
    target tracking policies, read both back (and through DynamoDB's own
    DescribeTableReplicaAutoScaling), change, delete and deregister them."""
    dynamodb, scaling = clients(checker)
    name = unique_name("aas")
    provisioned_table(dynamodb, name)
    resource = f"table/{name}"
    index_resource = f"table/{name}/index/by_sk"
    arns = {}
    for resource_id, dimension in [(resource, TABLE_READ), (resource, TABLE_WRITE),
                                   (index_resource, INDEX_READ), (index_resource, INDEX_WRITE)]:
        answer = scaling.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=resource_id, ScalableDimension=dimension,
            MinCapacity=5, MaxCapacity=100)
        assert re.fullmatch(r"arn:aws:application-autoscaling:us-east-1:\d{12}:"
                            r"scalable-target/[a-z0-9]{36}", answer["ScalableTargetARN"])
        arns[(resource_id, dimension)] = answer["ScalableTargetARN"]
    assert len(set(arns.values())) == 4

    targets = scaling.describe_scalable_targets(
        ServiceNamespace="dynamodb", ResourceIds=[resource, index_resource])["ScalableTargets"]
    assert [(t["ResourceId"], t["ScalableDimension"]) for t in targets] == [
        (resource, TABLE_READ), (resource, TABLE_WRITE),
        (index_resource, INDEX_READ), (index_resource, INDEX_WRITE)]
    first = targets[0]
    assert (first["MinCapacity"], first["MaxCapacity"]) == (5, 100)
    assert first["RoleARN"].endswith(
        "role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")
    assert first["SuspendedState"] == {"DynamicScalingInSuspended": False,
                                       "DynamicScalingOutSuspended": False,
                                       "ScheduledScalingSuspended": False}
    assert abs(first["CreationTime"].timestamp() - time.time()) < 60
    assert first["ScalableTargetARN"] == arns[(resource, TABLE_READ)]
    # Filters and boto3's paginator, one target a page.
    writes = scaling.describe_scalable_targets(
        ServiceNamespace="dynamodb", ResourceIds=[resource, index_resource],
        ScalableDimension=INDEX_WRITE)["ScalableTargets"]
    assert [t["ResourceId"] for t in writes] == [index_resource]
    pages = list(scaling.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace="dynamodb", ResourceIds=[resource, index_resource],
        PaginationConfig={"PageSize": 1}))
    assert [len(p["ScalableTargets"]) for p in pages] == [1, 1, 1, 1]
    assert [p["ScalableTargets"][0] for p in pages] == targets
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []

    policy_name = f"{name}-read"
    put = scaling.put_scaling_policy(
        PolicyName=policy_name, ServiceNamespace="dynamodb", ResourceId=resource,
        ScalableDimension=TABLE_READ, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=target_tracking(
            "DynamoDBReadCapacityUtilization", 70.0, ScaleInCooldown=60, ScaleOutCooldown=30))
    assert re.fullmatch(
        rf"arn:aws:autoscaling:us-east-1:\d{{12}}:scalingPolicy:[0-9a-f-]{{36}}:"
        rf"resource/dynamodb/{resource}:policyName/{policy_name}", put["PolicyARN"])
    alarm_kinds = [re.fullmatch(rf"TargetTracking-{resource}-(\w+)-[0-9a-f-]{{36}}",
                                a["AlarmName"]).group(1) for a in put["Alarms"]]
    assert alarm_kinds == ["AlarmHigh", "AlarmLow", "ProvisionedCapacityHigh",
                           "ProvisionedCapacityLow"]
    assert all(a["AlarmARN"].endswith(":alarm:" + a["AlarmName"]) for a in put["Alarms"])
    scaling.put_scaling_policy(
        PolicyName="index-writes", ServiceNamespace="dynamodb", ResourceId=index_resource,
        ScalableDimension=INDEX_WRITE, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=target_tracking(
            "DynamoDBWriteCapacityUtilization", 40.0, DisableScaleIn=True))

    policies = scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId=resource)["ScalingPolicies"]
    assert len(policies) == 1
    policy = policies[0]
    assert (policy["PolicyName"], policy["PolicyARN"], policy["Alarms"]) == \
        (policy_name, put["PolicyARN"], put["Alarms"])
    assert (policy["ScalableDimension"], policy["PolicyType"]) == \
        (TABLE_READ, "TargetTrackingScaling")
    assert policy["TargetTrackingScalingPolicyConfiguration"] == target_tracking(
        "DynamoDBReadCapacityUtilization", 70.0, ScaleInCooldown=60, ScaleOutCooldown=30,
        DisableScaleIn=False)
    by_name = scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", PolicyNames=["index-writes"])["ScalingPolicies"]
    assert [(p["ResourceId"], p["ScalableDimension"]) for p in by_name] == \
        [(index_resource, INDEX_WRITE)]

    # DynamoDB's own view of the same settings.
    settings = dynamodb.describe_table_replica_auto_scaling(TableName=name)[
        "TableAutoScalingDescription"]
    replica = settings["Replicas"][0]
    read = replica["ReplicaProvisionedReadCapacityAutoScalingSettings"]
    assert (read["MinimumUnits"], read["MaximumUnits"], read["AutoScalingDisabled"]) == \
        (5, 100, False)
    assert read["ScalingPolicies"][0]["PolicyName"] == policy_name
    assert read["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"][
        "TargetValue"] == 70.0
    index_write = replica["GlobalSecondaryIndexes"][0][
        "ProvisionedWriteCapacityAutoScalingSettings"]
    assert index_write["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"][
        "DisableScaleIn"] is True

    # Changed under its own name: the same policy (ARN and alarms), a new target.
    scaling.put_scaling_policy(
        PolicyName=policy_name, ServiceNamespace="dynamodb", ResourceId=resource,
        ScalableDimension=TABLE_READ, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=target_tracking(
            "DynamoDBReadCapacityUtilization", 30.0))
    again = scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId=resource)["ScalingPolicies"][0]
    assert (again["PolicyARN"], again["Alarms"]) == (put["PolicyARN"], put["Alarms"])
    assert again["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 30.0
    # A bounds-only registration keeps the policy and the registration time.
    scaling.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=TABLE_READ,
        MaxCapacity=200)
    target = scaling.describe_scalable_targets(
        ServiceNamespace="dynamodb", ResourceIds=[resource],
        ScalableDimension=TABLE_READ)["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (5, 200)
    assert target["CreationTime"] == first["CreationTime"]
    assert len(scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId=resource)["ScalingPolicies"]) == 1

    scaling.delete_scaling_policy(PolicyName=policy_name, ServiceNamespace="dynamodb",
                                  ResourceId=resource, ScalableDimension=TABLE_READ)
    assert scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId=resource)["ScalingPolicies"] == []
    code, message = error_of(scaling.delete_scaling_policy, PolicyName=policy_name,
                             ServiceNamespace="dynamodb", ResourceId=resource,
                             ScalableDimension=TABLE_READ)
    assert (code, message) == (
        "ObjectNotFoundException",
        f"No scaling policy found for service namespace: dynamodb, resource ID: {resource}, "
        f"scalable dimension: {TABLE_READ}, policy name: {policy_name}")
    for resource_id, dimension in arns:
        scaling.deregister_scalable_target(ServiceNamespace="dynamodb", ResourceId=resource_id,
                                           ScalableDimension=dimension)
    assert scaling.describe_scalable_targets(
        ServiceNamespace="dynamodb", ResourceIds=[resource, index_resource])[
            "ScalableTargets"] == []
    assert scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId=index_resource)["ScalingPolicies"] == []
    settings = dynamodb.describe_table_replica_auto_scaling(TableName=name)[
        "TableAutoScalingDescription"]["Replicas"][0]
    assert settings["ReplicaProvisionedReadCapacityAutoScalingSettings"] == {
        "AutoScalingDisabled": True, "ScalingPolicies": []}
    # Application Auto Scaling speaks JSON 1.1.
    scaling_operations = {"RegisterScalableTarget", "DescribeScalableTargets",
                          "PutScalingPolicy", "DescribeScalingPolicies", "DeleteScalingPolicy",
                          "DeregisterScalableTarget"}
    content_types = {headers.get("content-type") for operation, _, headers in checker.responses
                     if operation in scaling_operations}
    assert content_types == {"application/x-amz-json-1.1"}


def test_a_replicas_region_registers_its_own_read_target(checker):
    """Each Region's Application Auto Scaling manages that replica's reads,
    as in AWS, where a replica is a table of its Region: a read target
    registered in eu-west-1 is eu-west-1's alone, and moves that replica's
    read capacity into its bounds; write targets are the table's, seen
    alike from every Region."""
    dynamodb, scaling = clients(checker)
    kwargs = dict(_session_kwargs(), region_name="eu-west-1")
    replica_dynamodb = boto3.client("dynamodb", **kwargs)
    replica_scaling = boto3.client("application-autoscaling", **kwargs)
    for client, service in ((replica_dynamodb, "dynamodb"),
                            (replica_scaling, "application-autoscaling")):
        client.meta.events.register(f"after-call.{service}.*", checker)
    name = unique_name("aasregion")
    provisioned_table(dynamodb, name)
    for resource, dimension in ((f"table/{name}", TABLE_WRITE),
                                (f"table/{name}/index/by_sk", INDEX_WRITE)):
        scaling.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=dimension,
            MinCapacity=5, MaxCapacity=40)
    dynamodb.update_table(TableName=name,
                          ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])

    def targets(client):
        found = client.describe_scalable_targets(
            ServiceNamespace="dynamodb", ResourceIds=[f"table/{name}"])["ScalableTargets"]
        return {t["ScalableDimension"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found}

    replica_scaling.register_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
        ScalableDimension=TABLE_READ, MinCapacity=12, MaxCapacity=30)
    assert targets(replica_scaling) == {TABLE_READ: (12, 30), TABLE_WRITE: (5, 40)}
    assert targets(scaling) == {TABLE_WRITE: (5, 40)}
    # Registering moved eu-west-1's reads into the bounds, and only them.
    read_units = lambda client: client.describe_table(TableName=name)["Table"][
        "ProvisionedThroughput"]["ReadCapacityUnits"]
    assert read_units(replica_dynamodb) == 12
    assert read_units(dynamodb) == 5
    # The move is an activity of eu-west-1's, listed there only.
    def causes(client):
        found = client.describe_scaling_activities(
            ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
            ScalableDimension=TABLE_READ)["ScalingActivities"]
        return [a["Cause"] for a in found]
    assert causes(replica_scaling) == ["minimum capacity was set to 12"]
    assert causes(scaling) == []
    regions = dynamodb.describe_table_replica_auto_scaling(TableName=name)[
        "TableAutoScalingDescription"]["Replicas"]
    maxima = {r["RegionName"]: r["ReplicaProvisionedReadCapacityAutoScalingSettings"]
              .get("MaximumUnits") for r in regions}
    assert maxima == {"us-east-1": None, "eu-west-1": 30}
    replica_scaling.deregister_scalable_target(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}", ScalableDimension=TABLE_READ)
    assert targets(replica_scaling) == {TABLE_WRITE: (5, 40)}


def test_refusals_name_what_is_wrong_and_change_nothing(checker):
    dynamodb, scaling = clients(checker)
    name = unique_name("aas_bad")
    provisioned_table(dynamodb, name)
    resource = f"table/{name}"
    register = scaling.register_scalable_target
    put = scaling.put_scaling_policy

    assert error_of(register, ServiceNamespace="dynamodb", ResourceId="table/nope_nope",
                    ScalableDimension=TABLE_READ, MinCapacity=1, MaxCapacity=10) == \
        ("ValidationException", "DynamoDB table does not exist: table/nope_nope")
    assert error_of(register, ServiceNamespace="dynamodb", ResourceId=f"{resource}/index/nope",
                    ScalableDimension=INDEX_READ, MinCapacity=1, MaxCapacity=10) == \
        ("ValidationException",
         f"DynamoDB global secondary index does not exist: {resource}/index/nope")
    for resource_id, dimension in [(resource, INDEX_READ), (name, TABLE_READ),
                                   (resource, "ecs:service:DesiredCount")]:
        assert error_of(register, ServiceNamespace="dynamodb", ResourceId=resource_id,
                        ScalableDimension=dimension, MinCapacity=1, MaxCapacity=10) == \
            ("ValidationException",
             "Unsupported service namespace, resource type or scalable dimension")
    code, message = error_of(register, ServiceNamespace="dynamo", ResourceId=resource,
                             ScalableDimension="dynamodb:table:Reads")
    assert code == "ValidationException"
    assert message.startswith(
        "2 validation errors detected: Value 'dynamo' at 'serviceNamespace' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ecs, elasticmapreduce, ec2, ")
    assert "Value 'dynamodb:table:Reads' at 'scalableDimension'" in message
    code, message = error_of(register, ServiceNamespace="dynamodb", ResourceId=resource,
                             ScalableDimension=TABLE_READ, MinCapacity=5)
    assert code == "ValidationException" and "MinCapacity and MaxCapacity are required" in message
    assert error_of(register, ServiceNamespace="dynamodb", ResourceId=resource,
                    ScalableDimension=TABLE_READ, MinCapacity=50, MaxCapacity=10) == \
        ("ValidationException", "Minimum capacity cannot be larger than maximum capacity: "
                                "MinimumUnits 50, MaximumUnits 10")
    code, _ = error_of(register, ServiceNamespace="dynamodb", ResourceId=resource,
                       ScalableDimension=TABLE_READ, MinCapacity=1, MaxCapacity=40001)
    assert code == "LimitExceededException"
    code, _ = error_of(register, ServiceNamespace="dynamodb", ResourceId=resource,
                       ScalableDimension=TABLE_READ, MinCapacity=0, MaxCapacity=10)
    assert code == "ValidationException"

    not_registered = ("ObjectNotFoundException",
                      f"No scalable target registered for service namespace: dynamodb, "
                      f"resource ID: {resource}, scalable dimension: {TABLE_WRITE}")
    assert error_of(put, PolicyName="p", ServiceNamespace="dynamodb", ResourceId=resource,
                    ScalableDimension=TABLE_WRITE, PolicyType="TargetTrackingScaling",
                    TargetTrackingScalingPolicyConfiguration=target_tracking(
                        "DynamoDBWriteCapacityUtilization"))[0] == not_registered[0]
    assert error_of(scaling.deregister_scalable_target, ServiceNamespace="dynamodb",
                    ResourceId=resource, ScalableDimension=TABLE_WRITE) == not_registered

    register(ServiceNamespace="dynamodb", ResourceId=resource, ScalableDimension=TABLE_WRITE,
             MinCapacity=1, MaxCapacity=10)
    policy = {"PolicyName": "writes", "ServiceNamespace": "dynamodb", "ResourceId": resource,
              "ScalableDimension": TABLE_WRITE}
    for policy_type, configuration, words in [
            ("StepScaling", None, "StepScaling policies are not supported"),
            ("TargetTrackingScaling", None,
             "TargetTrackingScalingPolicyConfiguration is required"),
            ("TargetTrackingScaling", target_tracking("DynamoDBReadCapacityUtilization"),
             "PredefinedMetricType DynamoDBReadCapacityUtilization does not apply"),
            ("TargetTrackingScaling", target_tracking("DynamoDBWriteCapacityUtilization", 95.0),
             "must be between 20 and 90"),
            ("TargetTrackingScaling", {"TargetValue": 50.0, "CustomizedMetricSpecification": {
                "MetricName": "ConsumedWriteCapacityUnits", "Namespace": "AWS/DynamoDB",
                "Statistic": "Sum"}}, "CustomizedMetricSpecification is not supported"),
            (None, target_tracking("DynamoDBWriteCapacityUtilization"),
             "PolicyType is required")]:
        args = dict(policy)
        if policy_type:
            args["PolicyType"] = policy_type
        if configuration:
            args["TargetTrackingScalingPolicyConfiguration"] = configuration
        code, message = error_of(put, **args)
        assert code == "ValidationException" and words in message, (code, message)
    # boto3 would refuse this one itself.
    unchecked = boto3.client("application-autoscaling", **{
        **_session_kwargs(), "config": Config(parameter_validation=False)})
    code, message = error_of(unchecked.put_scaling_policy, **policy,
                             PolicyType="TargetTrackingScaling",
                             TargetTrackingScalingPolicyConfiguration={})
    assert (code, message) == (
        "ValidationException",
        "1 validation error detected: Value null at "
        "'targetTrackingScalingPolicyConfiguration.targetValue' failed to satisfy constraint: "
        "Member must not be null")
    assert scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId=resource)["ScalingPolicies"] == []
    put(**policy, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=target_tracking(
            "DynamoDBWriteCapacityUtilization"))
    code, message = error_of(put, **{**policy, "PolicyName": "another"},
                             PolicyType="TargetTrackingScaling",
                             TargetTrackingScalingPolicyConfiguration=target_tracking(
                                 "DynamoDBWriteCapacityUtilization"))
    assert code == "ValidationException" and message.startswith(
        "Only one TargetTrackingScaling policy for a given metric specification is allowed")
    names = [p["PolicyName"] for p in scaling.describe_scaling_policies(
        ServiceNamespace="dynamodb", ResourceId=resource)["ScalingPolicies"]]
    assert names == ["writes"]
    assert error_of(scaling.describe_scalable_targets, ServiceNamespace="dynamodb",
                    NextToken="bm90IGEgdG9rZW4=")[0] == "InvalidNextTokenException"
    code, message = error_of(scaling.describe_scaling_policies, ServiceNamespace="dynamodb",
                             PolicyNames=[f"p{i}" for i in range(51)])
    assert code == "ValidationException" and message.endswith(
        "at 'policyNames' failed to satisfy constraint: "
        "Member must have length less than or equal to 50"), message

    on_demand = unique_name("aas_od")
    provisioned_table(dynamodb, on_demand, billing="PAY_PER_REQUEST")
    code, message = error_of(register, ServiceNamespace="dynamodb",
                             ResourceId=f"table/{on_demand}", ScalableDimension=TABLE_READ,
                             MinCapacity=1, MaxCapacity=10)
    assert code == "ValidationException" and "PAY_PER_REQUEST" in message


def test_tags_of_a_scalable_target(checker):
    dynamodb, scaling = clients(checker)
    name = unique_name("aas_tags")
    provisioned_table(dynamodb, name)
    target = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/{name}",
              "ScalableDimension": TABLE_READ}
    arn = scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=10,
                                           Tags={"team": "orders", "env": "ci"})[
        "ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == \
        {"team": "orders", "env": "ci"}
    scaling.tag_resource(ResourceARN=arn, Tags={"env": "prod", "cost": "42"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["team", "absent"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == \
        {"env": "prod", "cost": "42"}
    assert error_of(scaling.register_scalable_target, **target, MaxCapacity=20,
                    Tags={"a": "b"}) == (
        "ValidationException",
        "The scalable target that you tried to tag already exists. To update tags on an "
        "existing scalable target, use the TagResource API.")
    code, _ = error_of(scaling.tag_resource, ResourceARN=arn,
                       Tags={f"k{i}": "v" for i in range(49)})
    assert code == "TooManyTagsException"
    unknown = arn[:-4] + "0000" if not arn.endswith("0000") else arn[:-4] + "1111"
    assert error_of(scaling.list_tags_for_resource, ResourceARN=unknown) == (
        "ResourceNotFoundException", f"No scalable target found for ARN {unknown}")
    code, message = error_of(scaling.list_tags_for_resource, ResourceARN="arn:aws:dynamodb:x")
    assert code == "ValidationException" and "regular expression pattern" in message
    # The tags go with the target.
    scaling.deregister_scalable_target(**target)
    assert error_of(scaling.list_tags_for_resource, ResourceARN=arn)[0] == \
        "ResourceNotFoundException"
    # And the target goes with its table: after DeleteTable (terraform
    # destroy's order) there is nothing left to deregister.
    arn = scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=10)[
        "ScalableTargetARN"]
    dynamodb.delete_table(TableName=name)
    assert scaling.describe_scalable_targets(
        ServiceNamespace="dynamodb", ResourceIds=[f"table/{name}"])["ScalableTargets"] == []
    assert error_of(scaling.deregister_scalable_target, **target)[0] == "ObjectNotFoundException"
    assert error_of(scaling.list_tags_for_resource, ResourceARN=arn)[0] == \
        "ResourceNotFoundException"


@pytest.fixture
def scaling_endpoint():
    yield from own_server("--auto-scaling-period-ms", "250")


def test_scaling_activities_tell_what_moved_the_capacity(scaling_endpoint, checker):
    """A registration that raises the minimum moves the capacity at once; a
    load above the policy's target scales it out; DescribeScalingActivities
    reports both, newest first, in Application Auto Scaling's words."""
    dynamodb, scaling = clients(checker, scaling_endpoint)
    resource = boto3.resource("dynamodb", **{**_session_kwargs(),
                                             "endpoint_url": scaling_endpoint,
                                             "config": Config(retries={"mode": "legacy",
                                                                       "total_max_attempts": 10})})
    name = unique_name("aas_load")
    provisioned_table(dynamodb, name, read=5, write=2)
    target = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/{name}",
              "ScalableDimension": TABLE_WRITE}
    scaling.register_scalable_target(**target, MinCapacity=5, MaxCapacity=60)

    def capacity():
        table = dynamodb.describe_table(TableName=name)["Table"]
        return table["ProvisionedThroughput"]["WriteCapacityUnits"]

    assert capacity() == 5
    scaling.put_scaling_policy(PolicyName="writes", **target, PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration=target_tracking(
                                   "DynamoDBWriteCapacityUtilization", 50.0))
    deadline = time.time() + 15
    written = 0
    while capacity() < 60 and time.time() < deadline:
        with resource.Table(name).batch_writer() as batch:
            for _ in range(25):
                batch.put_item(Item={"pk": f"item{written}"})
                written += 1
    assert capacity() == 60

    # At its maximum with the load still above the target, the alarm's
    # refusal is a "not scaled" activity, listed only when asked for.
    def refusals():
        listed = scaling.describe_scaling_activities(
            ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
            IncludeNotScaledActivities=True)["ScalingActivities"]
        return [a for a in listed if "NotScaledReasons" in a]

    deadline = time.time() + 10
    while not refusals() and time.time() < deadline:
        with resource.Table(name).batch_writer() as batch:
            for _ in range(25):
                batch.put_item(Item={"pk": f"item{written}"})
                written += 1
    [refusal] = refusals()
    assert refusal["NotScaledReasons"] == [
        {"Code": "AlreadyAtMaxCapacity", "MaxCapacity": 60, "CurrentCapacity": 60}]
    assert (refusal["StatusCode"], refusal["Description"]) == \
        ("Failed", "Attempting to scale due to alarm triggered")
    assert re.fullmatch(rf"monitor alarm TargetTracking-table/{name}-AlarmHigh-[0-9a-f-]{{36}} "
                        r"in state ALARM triggered policy writes", refusal["Cause"])
    assert capacity() == 60

    activities = scaling.describe_scaling_activities(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
        ScalableDimension=TABLE_WRITE)["ScalingActivities"]
    assert len(activities) >= 2
    newest, oldest = activities[0], activities[-1]
    assert newest["Description"] == "Setting write capacity units to 60."
    assert newest["StatusCode"] == "Successful"
    assert newest["StatusMessage"] == \
        "Successfully set write capacity units to 60. Change successfully fulfilled by dynamodb."
    assert re.fullmatch(rf"monitor alarm TargetTracking-table/{name}-AlarmHigh-[0-9a-f-]{{36}} "
                        r"in state ALARM triggered policy writes", newest["Cause"])
    policy = scaling.describe_scaling_policies(ServiceNamespace="dynamodb",
                                               ResourceId=f"table/{name}")["ScalingPolicies"][0]
    assert newest["Cause"].split()[2] == policy["Alarms"][0]["AlarmName"]
    assert (oldest["Description"], oldest["Cause"]) == \
        ("Setting write capacity units to 5.", "minimum capacity was set to 5")
    assert [a["StartTime"] for a in activities] == \
        sorted((a["StartTime"] for a in activities), reverse=True)
    pages = list(scaling.get_paginator("describe_scaling_activities").paginate(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
        PaginationConfig={"PageSize": 1}))
    assert [p["ScalingActivities"][0]["ActivityId"] for p in pages] == \
        [a["ActivityId"] for a in activities]
    assert scaling.describe_scaling_activities(
        ServiceNamespace="dynamodb", ResourceId="table/other")["ScalingActivities"] == []

    # Scale-in suspended: an idle table keeps its capacity.
    scaling.register_scalable_target(**target, SuspendedState={
        "DynamicScalingInSuspended": True})
    suspended = scaling.describe_scalable_targets(
        ServiceNamespace="dynamodb", ResourceIds=[f"table/{name}"])["ScalableTargets"][0]
    assert suspended["SuspendedState"]["DynamicScalingInSuspended"] is True
    assert (suspended["MinCapacity"], suspended["MaxCapacity"]) == (5, 60)
    time.sleep(6)  # 24 idle periods, more than the 15 a scale in waits for
    assert capacity() == 60


def serve_on_disk(data_dir):
    binary = os.environ.get("DYNALITH_BIN")
    if not binary:
        pytest.fail("DYNALITH_BIN is not set (scripts/test.sh sets it)")
    server = subprocess.Popen(
        [binary, "serve", "--data-dir", data_dir, "--port", "0", "--log-level", "warn"],
        stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline().strip()
    assert line.startswith("dynalith listening on "), line
    return server, line.removeprefix("dynalith listening on ")


def test_targets_policies_and_tags_survive_a_restart(checker):
    """Everything Application Auto Scaling reports of a target and its policy
    (ARNs, alarms, creation times, suspended state, tags) is kept with the
    table, and the scaling activities too: a SIGKILLed server brings it all
    back unchanged."""
    with tempfile.TemporaryDirectory() as data_dir:
        server, endpoint = serve_on_disk(data_dir)
        try:
            dynamodb, scaling = clients(checker, endpoint)
            name = unique_name("aas_kept")
            provisioned_table(dynamodb, name)
            target = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/{name}",
                      "ScalableDimension": TABLE_WRITE}
            # A minimum above the table's 5 units: an activity.
            scaling.register_scalable_target(
                **target, MinCapacity=6, MaxCapacity=30, Tags={"team": "orders"},
                SuspendedState={"DynamicScalingOutSuspended": True})
            scaling.put_scaling_policy(
                PolicyName="writes", **target, PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=target_tracking(
                    "DynamoDBWriteCapacityUtilization", 60.0, ScaleOutCooldown=10))

            def state():
                [t] = scaling.describe_scalable_targets(
                    ServiceNamespace="dynamodb", ResourceIds=[f"table/{name}"])["ScalableTargets"]
                [p] = scaling.describe_scaling_policies(
                    ServiceNamespace="dynamodb", ResourceId=f"table/{name}")["ScalingPolicies"]
                tags = scaling.list_tags_for_resource(ResourceARN=t["ScalableTargetARN"])["Tags"]
                activities = scaling.describe_scaling_activities(
                    ServiceNamespace="dynamodb", ResourceId=f"table/{name}")["ScalingActivities"]
                return t, p, tags, activities

            before = state()
            assert before[0]["SuspendedState"]["DynamicScalingOutSuspended"] is True
            [activity] = before[3]
            assert activity["Cause"] == "minimum capacity was set to 6"
        finally:
            server.kill()
            server.wait()
        server, endpoint = serve_on_disk(data_dir)
        try:
            dynamodb, scaling = clients(checker, endpoint)
            assert state() == before
        finally:
            server.kill()
            server.wait()


def at(seconds_from_now, zone="UTC"):
    """An at() schedule that many seconds from now, in the zone's civil time."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    when = datetime.now(ZoneInfo(zone)) + timedelta(seconds=seconds_from_now)
    return when.strftime("at(%Y-%m-%dT%H:%M:%S)")


def test_scheduled_actions_set_the_bounds_on_time(scaling_endpoint, checker):
    """CDK's scaleOnSchedule and Terraform's aws_appautoscaling_scheduled_action:
    at their time the target takes the action's bounds and the capacity moves
    into them; the action can be changed member by member, listed and deleted."""
    dynamodb, scaling = clients(checker, scaling_endpoint)
    name = unique_name("aas_sched")
    provisioned_table(dynamodb, name, read=5)
    target = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/{name}",
              "ScalableDimension": TABLE_READ}
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=10)

    def capacity():
        return dynamodb.describe_table(TableName=name)["Table"]["ProvisionedThroughput"][
            "ReadCapacityUnits"]

    def bounds():
        [t] = scaling.describe_scalable_targets(
            ServiceNamespace="dynamodb", ResourceIds=[f"table/{name}"])["ScalableTargets"]
        return t["MinCapacity"], t["MaxCapacity"]

    morning = at(2)
    scaling.put_scheduled_action(**target, ScheduledActionName="morning", Schedule=morning,
                                 ScalableTargetAction={"MinCapacity": 8, "MaxCapacity": 20})
    # 3 s from now in New York's civil time: the zone is applied.
    scaling.put_scheduled_action(**target, ScheduledActionName="new-york",
                                 Schedule=at(3, "America/New_York"),
                                 Timezone="America/New_York",
                                 ScalableTargetAction={"MaxCapacity": 25})
    actions = scaling.describe_scheduled_actions(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}")["ScheduledActions"]
    assert [a["ScheduledActionName"] for a in actions] == ["morning", "new-york"]
    first = actions[0]
    assert first["Schedule"] == morning
    assert first["ScalableTargetAction"] == {"MinCapacity": 8, "MaxCapacity": 20}
    assert re.fullmatch(rf"arn:aws:autoscaling:us-east-1:\d{{12}}:scheduledAction:[0-9a-f-]{{36}}:"
                        rf"resource/dynamodb/table/{name}:scheduledActionName/morning",
                        first["ScheduledActionARN"])
    assert "Timezone" not in first and actions[1]["Timezone"] == "America/New_York"
    assert abs(first["CreationTime"].timestamp() - time.time()) < 60
    assert capacity() == 5 and bounds() == (1, 10)

    deadline = time.time() + 10
    while bounds() != (8, 25) and time.time() < deadline:
        time.sleep(0.2)
    assert bounds() == (8, 25)
    assert capacity() == 8
    [activity] = scaling.describe_scaling_activities(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}")["ScalingActivities"]
    assert (activity["Description"], activity["Cause"]) == \
        ("Setting read capacity units to 8.", "scheduled action name morning was triggered")

    # A change of one member keeps the others.
    scaling.put_scheduled_action(**target, ScheduledActionName="morning",
                                 ScalableTargetAction={"MaxCapacity": 30})
    [changed] = scaling.describe_scheduled_actions(
        ServiceNamespace="dynamodb", ScheduledActionNames=["morning"])["ScheduledActions"]
    assert (changed["Schedule"], changed["ScalableTargetAction"], changed["ScheduledActionARN"]) \
        == (morning, {"MinCapacity": 8, "MaxCapacity": 30}, first["ScheduledActionARN"])
    pages = list(scaling.get_paginator("describe_scheduled_actions").paginate(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}",
        PaginationConfig={"PageSize": 1}))
    assert [p["ScheduledActions"][0]["ScheduledActionName"] for p in pages] == \
        ["morning", "new-york"]

    # Suspended scheduled scaling: the time passes and nothing changes.
    scaling.register_scalable_target(**target, SuspendedState={
        "ScheduledScalingSuspended": True})
    scaling.put_scheduled_action(**target, ScheduledActionName="held", Schedule=at(1),
                                 ScalableTargetAction={"MinCapacity": 12})
    time.sleep(3)
    assert bounds() == (8, 25) and capacity() == 8

    for action in ["morning", "new-york", "held"]:
        scaling.delete_scheduled_action(**target, ScheduledActionName=action)
    assert scaling.describe_scheduled_actions(
        ServiceNamespace="dynamodb", ResourceId=f"table/{name}")["ScheduledActions"] == []
    assert error_of(scaling.delete_scheduled_action, **target,
                    ScheduledActionName="morning") == (
        "ObjectNotFoundException",
        f"No scheduled action found for service namespace: dynamodb, resource ID: table/{name}, "
        f"scalable dimension: {TABLE_READ}, scheduled action name: morning")


def test_scheduled_action_refusals(checker):
    dynamodb, scaling = clients(checker)
    name = unique_name("aas_sched_bad")
    provisioned_table(dynamodb, name)
    target = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/{name}",
              "ScalableDimension": TABLE_WRITE}
    put = scaling.put_scheduled_action
    code, message = error_of(put, **target, ScheduledActionName="a", Schedule="rate(1 day)",
                             ScalableTargetAction={"MinCapacity": 2})
    assert (code, message) == (
        "ObjectNotFoundException",
        f"No scalable target registered for service namespace: dynamodb, resource ID: "
        f"table/{name}, scalable dimension: {TABLE_WRITE}")
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=10)
    for schedule, zone, action, words in [
            ("cron(0 8 * * * *)", None, {"MinCapacity": 2}, "Invalid Schedule: cron(0 8 * * * *)"),
            ("rate(5 weeks)", None, {"MinCapacity": 2}, "Invalid Schedule: the unit of"),
            ("at(tomorrow)", None, {"MinCapacity": 2}, "Invalid Schedule: the time of"),
            ("rate(1 day)", "Mars/Olympus_Mons", {"MinCapacity": 2}, "Invalid Timezone"),
            ("rate(1 day)", None, {"MinCapacity": 9, "MaxCapacity": 3},
             "Minimum capacity cannot be larger than maximum capacity"),
            ("rate(1 day)", None, {}, "must set MinCapacity, MaxCapacity or both"),
            (None, None, {"MinCapacity": 2}, "Schedule is required")]:
        args = {**target, "ScheduledActionName": "a", "ScalableTargetAction": action}
        if schedule:
            args["Schedule"] = schedule
        if zone:
            args["Timezone"] = zone
        code, message = error_of(put, **args)
        assert code == "ValidationException" and words in message, (schedule, code, message)
    code, message = error_of(put, **target, ScheduledActionName="a:b", Schedule="rate(1 day)",
                             ScalableTargetAction={"MinCapacity": 2})
    assert code == "ValidationException" and message.startswith(
        "1 validation error detected: Value 'a:b' at 'scheduledActionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern")
    assert scaling.describe_scheduled_actions(ServiceNamespace="dynamodb", ResourceId=
                                              f"table/{name}")["ScheduledActions"] == []
    # Deregistering the target takes its actions with it.
    put(**target, ScheduledActionName="kept", Schedule="cron(0 8 ? * MON-FRI *)",
        Timezone="Europe/Berlin", ScalableTargetAction={"MinCapacity": 2})
    scaling.deregister_scalable_target(**target)
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=10)
    assert scaling.describe_scheduled_actions(ServiceNamespace="dynamodb", ResourceId=
                                              f"table/{name}")["ScheduledActions"] == []


@pytest.fixture
def verifying_endpoint():
    yield from own_server("--credentials", "AKIDAAS:aas/secret+1")


def test_application_auto_scaling_requests_are_verified_like_dynamodb_ones(verifying_endpoint):
    """With --credentials, a request signed for the application-autoscaling
    service is checked as DynamoDB's are: the right secret passes, a wrong one
    or an unknown key does not."""
    def scaling_with(key, secret):
        return boto3.client("application-autoscaling", endpoint_url=verifying_endpoint,
                            region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret,
                            config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    good = scaling_with("AKIDAAS", "aas/secret+1")
    assert good.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"] == []
    assert error_of(scaling_with("AKIDAAS", "not-it").describe_scalable_targets,
                    ServiceNamespace="dynamodb")[0] == "InvalidSignatureException"
    assert error_of(scaling_with("AKIDNOBODY", "aas/secret+1").describe_scalable_targets,
                    ServiceNamespace="dynamodb")[0] == "UnrecognizedClientException"
