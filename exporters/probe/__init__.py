"""The probe exporter: HTTP and TCP health checks in the blackbox_exporter's vocabulary."""
