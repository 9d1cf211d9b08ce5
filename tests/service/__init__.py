"""The service and the DynamoDB/S3 store on moto."""
