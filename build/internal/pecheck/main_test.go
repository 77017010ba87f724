package main

import (
	"encoding/binary"
	"maps"
	"testing"
)

// resourceTree builds a resource directory tree: for each type ID, a subdirectory with n
// entries (their data offsets are not followed).
func resourceTree(types map[uint32]int, order []uint32) []byte {
	dir := func(n int) []byte {
		b := make([]byte, 16+8*n)
		binary.LittleEndian.PutUint16(b[14:], uint16(n))
		return b
	}
	root := dir(len(order))
	var subs []byte
	offset := uint32(len(root))
	for i, id := range order {
		e := root[16+8*i:]
		binary.LittleEndian.PutUint32(e, id)
		binary.LittleEndian.PutUint32(e[4:], 0x80000000|(offset+uint32(len(subs))))
		sub := dir(types[id])
		for j := range types[id] {
			binary.LittleEndian.PutUint32(sub[16+8*j:], uint32(j+1))
		}
		subs = append(subs, sub...)
	}
	return append(root, subs...)
}

func TestResourceTypesCountsEachType(t *testing.T) {
	want := map[uint32]int{rtIcon: 9, rtGroupIcon: 1, rtVersion: 1, rtManifest: 1}
	data := resourceTree(want, []uint32{rtIcon, rtGroupIcon, rtVersion, rtManifest})
	// The tree may start anywhere in its section.
	data = append(make([]byte, 32), data...)
	got, err := resourceTypes(data, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("resourceTypes = %v, want %v", got, want)
	}
}

func TestResourceTypesRejectsBrokenTrees(t *testing.T) {
	good := resourceTree(map[uint32]int{rtGroupIcon: 1}, []uint32{rtGroupIcon})
	notDir := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(notDir[20:], 24) // the type's entry points at data, not a directory
	outside := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(outside[20:], 0x80000000|4096)
	for name, data := range map[string][]byte{
		"empty":         nil,
		"truncated":     good[:20],
		"not a subdir":  notDir,
		"subdir beyond": outside,
	} {
		if _, err := resourceTypes(data, 0); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
