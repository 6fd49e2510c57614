// Package node implements 'swarmlab node stop|start NAME': stop or start one
// node container, as the tutorial stops worker01 from Docker's dashboard.
// 'node stop --watch' is the chaos command's watch (package chaos).
package node
