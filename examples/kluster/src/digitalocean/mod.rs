//! DigitalOcean API client for the DOKS endpoints the operator uses.
