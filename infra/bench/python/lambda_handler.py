"""A Python Lambda function doing exercise 09's job, for the cold-start row:
boto3 and pandas imported at init, as a Python function would; the
handler reads {"bucket", "key"} (orders as JSON) from S3, summarises them per
customer with pandas and writes NDJSON to OUTPUT_BUCKET under summaries/.

Run under the runtime interface emulator with awslambdaric:
    aws-lambda-rie ... python -m awslambdaric lambda_handler.handler

S3_ENDPOINT (path-style), AWS_REGION and credentials from the environment.
The per-customer summary is a plain pandas groupby; 09's exact output
(paise, rounding, dates) is exercises/09's own pandas peer.
"""
import io
import os

import boto3
import pandas as pd
from botocore.config import Config

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ.get("S3_ENDPOINT", "http://127.0.0.1:7070"),
    config=Config(s3={"addressing_style": "path"}),
)
OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]
OUTPUT_PREFIX = os.environ.get("OUTPUT_PREFIX", "summaries/")


def handler(event, context):
    bucket, key = event["bucket"], event["key"]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    text = body.decode("utf-8")
    orders = pd.read_json(io.StringIO(text), lines=not text.lstrip().startswith("["))
    if orders.empty:
        ndjson, customers = b"", 0
    else:
        summary = orders.groupby("customer_id").agg(
            orders=("amount", "size"), total_amount=("amount", "sum"), max_amount=("amount", "max")
        )
        ndjson = summary.reset_index().to_json(orient="records", lines=True).encode()
        customers = len(summary)
    output = OUTPUT_PREFIX + key.rsplit(".", 1)[0] + ".ndjson"
    s3.put_object(Bucket=OUTPUT_BUCKET, Key=output, Body=ndjson, ContentType="application/x-ndjson")
    return {
        "outcomes": [
            {
                "bucket": bucket,
                "key": key,
                "status": "written",
                "output": f"s3://{OUTPUT_BUCKET}/{output}",
                "orders": len(orders),
                "customers": customers,
                "bytes": len(ndjson),
            }
        ]
    }
