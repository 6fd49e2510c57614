// Package elfstrip removes what a running program never reads from a 64-bit
// ELF executable: the sections that are not loaded into memory (DWARF, the
// symbol table and its strings), as 'go build -ldflags=-s -w' or strip(1)
// would leave them out. swarmlab ships its own binary in the lab's images;
// stripped there, a plain 'go build' weighs in the registry what 'make build'
// does. The loaded bytes are kept as they are, so the program behaves the
// same, and 'go version -m' still reads its build information.
package elfstrip

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// Strip returns data without its unloaded sections. data that is not a
// 64-bit ELF file, or has nothing to strip, is returned as it is.
func Strip(data []byte) ([]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil || f.Class != elf.ELFCLASS64 {
		return data, nil
	}
	// Everything a loader maps ends at loadEnd: sections past it are
	// neither mapped nor needed.
	var loadEnd uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loadEnd = max(loadEnd, p.Off+p.Filesz)
		}
	}
	if loadEnd == 0 || loadEnd > uint64(len(data)) {
		return data, nil
	}
	keep := []*elf.Section{}
	index := map[int]int{0: 0} // old section index -> new
	for i, s := range f.Sections {
		if i == 0 || s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		if s.Type != elf.SHT_NOBITS && s.Offset+s.Size > loadEnd {
			return nil, fmt.Errorf("elfstrip: loaded section %s lies outside the loaded segments", s.Name)
		}
		index[i] = len(keep) + 1
		keep = append(keep, s)
	}
	if len(keep)+2 >= len(f.Sections) { // only the section names would go
		return data, nil
	}
	bo := f.ByteOrder
	// The new section names: the kept ones and .shstrtab itself.
	names := []byte{0}
	nameAt := func(n string) uint32 {
		at := uint32(len(names))
		names = append(append(names, n...), 0)
		return at
	}
	out := bytes.NewBuffer(make([]byte, 0, loadEnd+4096))
	out.Write(data[:loadEnd])
	type shdr struct {
		Name, Type             uint32
		Flags, Addr, Off, Size uint64
		Link, Info             uint32
		Addralign, Entsize     uint64
	}
	hdrs := []shdr{{}}
	for _, s := range keep {
		link, ok := index[int(s.Link)]
		if !ok {
			return nil, fmt.Errorf("elfstrip: loaded section %s links to an unloaded one", s.Name)
		}
		info := s.Info
		if s.Flags&elf.SHF_INFO_LINK != 0 {
			n, ok := index[int(s.Info)]
			if !ok {
				return nil, fmt.Errorf("elfstrip: loaded section %s refers to an unloaded one", s.Name)
			}
			info = uint32(n)
		}
		hdrs = append(hdrs, shdr{nameAt(s.Name), uint32(s.Type), uint64(s.Flags), s.Addr, s.Offset, s.Size, uint32(link), info, s.Addralign, s.Entsize})
	}
	shstrndx := len(hdrs)
	namesAt := uint64(out.Len())
	hdrs = append(hdrs, shdr{Name: nameAt(".shstrtab"), Type: uint32(elf.SHT_STRTAB), Off: namesAt, Addralign: 1})
	hdrs[shstrndx].Size = uint64(len(names))
	out.Write(names)
	for out.Len()%8 != 0 {
		out.WriteByte(0)
	}
	shoff := uint64(out.Len())
	for _, h := range hdrs {
		if err := binary.Write(out, bo, h); err != nil {
			return nil, err
		}
	}
	b := out.Bytes()
	// The ELF header's e_shoff, e_shentsize, e_shnum and e_shstrndx.
	bo.PutUint64(b[0x28:], shoff)
	bo.PutUint16(b[0x3a:], 64)
	bo.PutUint16(b[0x3c:], uint16(len(hdrs)))
	bo.PutUint16(b[0x3e:], uint16(shstrndx))
	return b, nil
}
