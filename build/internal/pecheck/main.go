// Command pecheck checks that a Windows executable built by build/release.sh carries what the
// release needs: the GUI subsystem (no console window flashes at login) and the resources
// go-winres adds (the icon group Explorer shows, version information, the manifest).
//
//	go run ./build/internal/pecheck pimtray.exe
//
// It prints one line per executable and exits non-zero, saying what is missing, otherwise.
package main

import (
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Resource type IDs (winuser.h).
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
	rtManifest  = 24
)

var typeNames = map[uint32]string{rtIcon: "RT_ICON", rtGroupIcon: "RT_GROUP_ICON", rtVersion: "RT_VERSION", rtManifest: "RT_MANIFEST"}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: pecheck FILE.exe...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		summary, err := check(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pecheck: %s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%s: %s\n", path, summary)
	}
	if failed {
		os.Exit(1)
	}
}

// check returns a one-line summary of a good executable, or what is wrong with it.
func check(path string) (string, error) {
	f, err := pe.Open(path)
	if err != nil {
		return "", fmt.Errorf("not a PE executable: %w", err)
	}
	defer f.Close()
	subsystem, rva, size, err := optionalHeader(f)
	if err != nil {
		return "", err
	}
	var problems []string
	if subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		problems = append(problems, fmt.Sprintf("subsystem %d, want the GUI subsystem (%d): build with -ldflags -H=windowsgui", subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI))
	}
	counts := map[uint32]int{}
	if rva == 0 || size == 0 {
		problems = append(problems, "no resources at all: the .syso from go-winres was not linked")
	} else {
		data, base, err := sectionAt(f, rva)
		if err != nil {
			return "", err
		}
		counts, err = resourceTypes(data, rva-base)
		if err != nil {
			return "", err
		}
	}
	for _, want := range []uint32{rtGroupIcon, rtIcon, rtVersion, rtManifest} {
		if counts[want] == 0 && rva != 0 {
			problems = append(problems, "no "+typeNames[want]+" resource")
		}
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	var parts []string
	ids := make([]int, 0, len(counts))
	for id := range counts {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	for _, id := range ids {
		name := typeNames[uint32(id)]
		if name == "" {
			name = fmt.Sprintf("type %d", id)
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, counts[uint32(id)]))
	}
	return "GUI subsystem, " + strings.Join(parts, ", "), nil
}

// optionalHeader returns the subsystem and the resource table's RVA and size.
func optionalHeader(f *pe.File) (subsystem uint16, rva, size uint32, err error) {
	var dirs []pe.DataDirectory
	switch h := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		subsystem, dirs = h.Subsystem, h.DataDirectory[:h.NumberOfRvaAndSizes]
	case *pe.OptionalHeader32:
		subsystem, dirs = h.Subsystem, h.DataDirectory[:h.NumberOfRvaAndSizes]
	default:
		return 0, 0, 0, errors.New("no optional header: not an executable")
	}
	if len(dirs) > pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
		d := dirs[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
		rva, size = d.VirtualAddress, d.Size
	}
	return subsystem, rva, size, nil
}

// sectionAt returns the data of the section holding rva, and the section's own RVA.
func sectionAt(f *pe.File, rva uint32) ([]byte, uint32, error) {
	for _, s := range f.Sections {
		if rva >= s.VirtualAddress && rva < s.VirtualAddress+max(s.VirtualSize, s.Size) {
			data, err := s.Data()
			if err != nil {
				return nil, 0, fmt.Errorf("read section %s: %w", s.Name, err)
			}
			return data, s.VirtualAddress, nil
		}
	}
	return nil, 0, fmt.Errorf("resource table at RVA %#x lies in no section", rva)
}

// resourceTypes reads the resource directory tree starting at offset root of data: the first
// level names resource types, the second the resources of each type. It returns how many
// resources each type has.
//
// IMAGE_RESOURCE_DIRECTORY is 16 bytes, ending with the number of named and of ID entries
// (uint16 each, at offsets 12 and 14); its entries follow, 8 bytes each: the name or ID, and
// the offset of the entry's data, relative to the tree's root, with the high bit set when it
// is a subdirectory.
func resourceTypes(data []byte, root uint32) (map[uint32]int, error) {
	entries := func(off uint32) ([][2]uint32, error) {
		if uint64(off)+16 > uint64(len(data)) {
			return nil, fmt.Errorf("resource directory at %#x lies outside its section", off)
		}
		n := uint32(binary.LittleEndian.Uint16(data[off+12:])) + uint32(binary.LittleEndian.Uint16(data[off+14:]))
		if uint64(off)+16+8*uint64(n) > uint64(len(data)) {
			return nil, fmt.Errorf("resource directory at %#x is truncated", off)
		}
		out := make([][2]uint32, n)
		for i := range out {
			e := data[off+16+8*uint32(i):]
			out[i] = [2]uint32{binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:])}
		}
		return out, nil
	}
	types, err := entries(root)
	if err != nil {
		return nil, err
	}
	counts := map[uint32]int{}
	for _, t := range types {
		const subdir = 0x80000000
		if t[1]&subdir == 0 {
			return nil, fmt.Errorf("resource type %d has no directory of resources", t[0])
		}
		resources, err := entries(root + t[1]&^subdir)
		if err != nil {
			return nil, err
		}
		id := t[0]
		if id&0x80000000 != 0 {
			continue // a named type: none of ours
		}
		counts[id] = len(resources)
	}
	return counts, nil
}
