# Shared by the dashboard files beside it.
REQUESTS = 'sum by (code) (rate(http_requests_total{job="checkout"}[$__rate_interval]))'
ERROR_RATIO = (
    'sum(rate(http_requests_total{job="checkout", code=~"5.."}[$__rate_interval]))'
    ' / sum(rate(http_requests_total{job="checkout"}[$__rate_interval]))'
)
