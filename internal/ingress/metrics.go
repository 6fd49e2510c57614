package ingress

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// collector reads the current table at scrape time, so the hot path keeps
// only its own atomics and no Prometheus state.
type collector struct{ s *Server }

var (
	labels      = []string{"service", "port", "upstream"}
	descUp      = prometheus.NewDesc("swarmlab_ingress_upstream_up", "1 when the upstream may be selected.", labels, nil)
	descActive  = prometheus.NewDesc("swarmlab_ingress_upstream_active_requests", "Requests in flight to the upstream.", labels, nil)
	descReqs    = prometheus.NewDesc("swarmlab_ingress_upstream_requests_total", "Attempts sent to the upstream.", labels, nil)
	descErrs    = prometheus.NewDesc("swarmlab_ingress_upstream_errors_total", "Failed attempts (connect errors, 502/503, broken bodies).", labels, nil)
	descLatency = prometheus.NewDesc("swarmlab_ingress_upstream_duration_seconds", "Request duration through the upstream.", labels, nil)
	descRoutes  = prometheus.NewDesc("swarmlab_ingress_routes", "Routes in the current table.", nil, nil)
	descSwaps   = prometheus.NewDesc("swarmlab_ingress_table_swaps_total", "Routing tables applied.", nil, nil)
	descSyncErr = prometheus.NewDesc("swarmlab_ingress_discovery_errors_total", "Failed discovery rounds.", nil, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descActive, descReqs, descErrs, descLatency, descRoutes, descSwaps, descSyncErr} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	t := c.s.table.Load()
	ch <- prometheus.MustNewConstMetric(descRoutes, prometheus.GaugeValue, float64(len(t.Routes)))
	ch <- prometheus.MustNewConstMetric(descSwaps, prometheus.CounterValue, float64(c.s.swaps.Load()))
	ch <- prometheus.MustNewConstMetric(descSyncErr, prometheus.CounterValue, float64(c.s.syncErrors.Load()))
	for _, b := range t.Backends {
		port := strconv.Itoa(b.Port)
		for _, st := range b.Pool.Stats() {
			lv := []string{b.Service, port, st.Addr}
			up := 0.0
			if st.Status == "up" {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, lv...)
			ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(st.Active), lv...)
			ch <- prometheus.MustNewConstMetric(descReqs, prometheus.CounterValue, float64(st.Requests), lv...)
			ch <- prometheus.MustNewConstMetric(descErrs, prometheus.CounterValue, float64(st.Errors), lv...)
			ch <- prometheus.MustNewConstSummary(descLatency, st.LatencyN, st.LatencySum.Seconds(), map[float64]float64{
				0.5: st.P50.Seconds(), 0.9: st.P90.Seconds(), 0.99: st.P99.Seconds(),
			}, lv...)
		}
	}
}

func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
