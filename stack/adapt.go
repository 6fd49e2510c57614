package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// Check loads a stack file with compose-go, so that a mistake in a file the
// learner edited is reported with its cause before anything is deployed.
func Check(name string, data []byte) error {
	// compose-go logs that "version" is obsolete, but docker stack deploy
	// still reads it: check the file without it.
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("stack file %s: %w", name, err)
	}
	delete(doc, "version")
	data, _ = yaml.Marshal(doc)
	_, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  "/stack",
		ConfigFiles: []types.ConfigFile{{Filename: name, Content: data}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName("check", true)
		o.SkipResolveEnvironment = true
		o.SkipConsistencyCheck = true // external networks live in the swarm, not the file
	})
	if err != nil {
		return fmt.Errorf("stack file %s: %w", name, err)
	}
	return nil
}

// minVersion is the first compose file version with endpoint_mode and the
// long port syntax, both of which AdaptNoIPVS writes.
const minVersion = "3.8"

// AdaptNoIPVS rewrites a stack file for a swarm whose kernel has no IPVS:
// service VIPs and the ingress routing mesh do not work there, so every
// service resolves by DNS round robin (endpoint_mode: dnsrr) and every
// published port is published in host mode on the node that runs the task.
// Comments and the order of keys are kept.
func AdaptNoIPVS(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse stack file: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("parse stack file: the top level is not a mapping")
	}
	root := doc.Content[0]
	if v := get(root, "version"); v == nil {
		set(root, "version", scalar(minVersion, "!!str"))
	} else if f, err := strconv.ParseFloat(v.Value, 64); err == nil && f < 3.8 {
		v.Value, v.Tag, v.Style = minVersion, "!!str", yaml.DoubleQuotedStyle
	}
	services := get(root, "services")
	if services == nil || services.Kind != yaml.MappingNode {
		return nil, errors.New("parse stack file: no services")
	}
	for i := 0; i+1 < len(services.Content); i += 2 {
		name, svc := services.Content[i].Value, services.Content[i+1]
		if svc.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("service %s: not a mapping", name)
		}
		deploy := get(svc, "deploy")
		if deploy == nil {
			deploy = &yaml.Node{Kind: yaml.MappingNode}
			set(svc, "deploy", deploy)
		}
		set(deploy, "endpoint_mode", scalar("dnsrr", "!!str"))
		ports := get(svc, "ports")
		if ports == nil {
			continue
		}
		if ports.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("service %s: ports is not a list", name)
		}
		var out []*yaml.Node
		for _, p := range ports.Content {
			long, err := hostPorts(p)
			if err != nil {
				return nil, fmt.Errorf("service %s: %w", name, err)
			}
			out = append(out, long...)
		}
		ports.Content = out
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(4)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hostPorts turns one port entry into long-syntax entries in host mode.
func hostPorts(p *yaml.Node) ([]*yaml.Node, error) {
	switch p.Kind {
	case yaml.MappingNode:
		set(p, "mode", scalar("host", "!!str"))
		return []*yaml.Node{p}, nil
	case yaml.ScalarNode:
		cfgs, err := types.ParsePortConfig(p.Value)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", p.Value, err)
		}
		var out []*yaml.Node
		for _, c := range cfgs {
			m := &yaml.Node{Kind: yaml.MappingNode}
			target := scalar(strconv.Itoa(int(c.Target)), "!!int")
			target.LineComment = p.LineComment // keep the learner's note on the port
			set(m, "target", target)
			if c.Published != "" {
				set(m, "published", scalar(c.Published, "!!int"))
			}
			if c.Protocol != "" {
				set(m, "protocol", scalar(c.Protocol, "!!str"))
			}
			set(m, "mode", scalar("host", "!!str"))
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("port entry at line %d is neither a string nor a mapping", p.Line)
}

func scalar(v, tag string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Tag: tag} }

func get(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key, "!!str"), v)
}
