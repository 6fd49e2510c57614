// Package dockercmd implements 'swarmlab docker ARGS...': the docker CLI of
// the manager, so 'swarmlab docker node ls' is the tutorial's 'docker node ls'.
package dockercmd
