data "aws_secretsmanager_secret_version" "gdpr_export" {
  secret_id = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/eu/gdpr/export-key"
}
