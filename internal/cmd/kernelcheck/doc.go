// Package kernelcheck implements the hidden 'swarmlab kernel-check': run in
// a throwaway container of the lab's base image, it asks the engine's kernel
// (not the CLI's: on Docker Desktop they differ) whether it can do IPVS.
package kernelcheck
