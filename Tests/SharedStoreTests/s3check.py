"""The tests' independent S3 client (boto3, never the code under test), on the store scripts/seaweedfs started.
   s3check.py ENDPOINT CREDENTIALS put BUCKET KEY FILE [META=VALUE…]   put the file's bytes (metadata x-amz-meta-META)
   s3check.py ENDPOINT CREDENTIALS same BUCKET KEY FILE                "same" when the object's bytes are the file's
   s3check.py ENDPOINT CREDENTIALS meta BUCKET KEY                     the object's metadata and content type as JSON
   s3check.py ENDPOINT CREDENTIALS exists BUCKET KEY                   "yes" or "no"
   s3check.py ENDPOINT CREDENTIALS bucket BUCKET -                     make the bucket
   s3check.py ENDPOINT CREDENTIALS body BUCKET KEY                     the object's bytes as text
   s3check.py ENDPOINT CREDENTIALS age BUCKET KEY SECONDS              its wx-fetched and wx-created made SECONDS older (a copy onto itself)
"""
import configparser, hashlib, json, sys

import boto3
import botocore.exceptions

endpoint, credentials, command, bucket, key, *rest = sys.argv[1:]
profile = configparser.ConfigParser()
profile.read(credentials)
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=profile["default"]["aws_access_key_id"],
                  aws_secret_access_key=profile["default"]["aws_secret_access_key"])
if command == "bucket":
    s3.create_bucket(Bucket=bucket)
elif command == "put":
    meta = dict(item.split("=", 1) for item in rest[1:])
    s3.put_object(Bucket=bucket, Key=key, Body=open(rest[0], "rb").read(), Metadata=meta)
elif command == "same":
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    print("same" if hashlib.sha256(body).digest() == hashlib.sha256(open(rest[0], "rb").read()).digest() else f"differs ({len(body)} bytes)")
elif command == "body":
    print(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())
elif command == "age":
    import time
    head = s3.head_object(Bucket=bucket, Key=key)
    meta = dict(head["Metadata"])
    then = "%.3f" % (time.time() - float(rest[0]))
    meta["wx-fetched"] = then
    meta["wx-created"] = then
    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key}, Metadata=meta, MetadataDirective="REPLACE",
                   ContentType=head.get("ContentType", "application/octet-stream"))
elif command == "meta":
    head = s3.head_object(Bucket=bucket, Key=key)
    print(json.dumps({"metadata": head["Metadata"], "content_type": head.get("ContentType"), "size": head["ContentLength"]}))
elif command == "exists":
    try:
        s3.head_object(Bucket=bucket, Key=key)
        print("yes")
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
            raise
        print("no")
else:
    raise SystemExit(__doc__)
