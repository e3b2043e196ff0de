"""Base types every stage shares: documents, the profile schema, records, numbers and the error tree."""
