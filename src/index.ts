// Public API of cdk-kms-patterns.
