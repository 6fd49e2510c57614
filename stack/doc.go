// Package stack holds the lab's stack files, the tutorial's webapi.yml,
// visualizer.yml and ingress.yml, embedded so that the binary can put them in
// place wherever it runs, and adapts them for kernels without IPVS.
package stack
