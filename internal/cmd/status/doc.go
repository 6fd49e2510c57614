// Package status implements 'swarmlab status': nodes and services.
package status
