package lazytable

import (
	"fmt"
	"reflect"
	"unsafe"
)

// Make returns a table of n zero values of T, whose pages that are never
// written take no memory, and the function that returns its memory (the
// table must not be used after). T must hold no pointers (Make panics if
// it does: a programming error, not one of input).
func Make[T any](n int) (table []T, release func()) {
	var zero T
	if hasPointers(reflect.TypeOf(zero)) {
		panic(fmt.Sprintf("lazytable: %T holds pointers", zero))
	}
	size := int(unsafe.Sizeof(zero))
	if n <= 0 || size == 0 || n > maxBytes/size || n*size < minMapped {
		return make([]T, max(n, 0)), func() {}
	}
	mem := mapZero(n * size)
	if mem == nil {
		return make([]T, n), func() {}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(mem))), n), func() { unmap(mem) }
}

// maxBytes bounds a table's size (a sum that overflowed, not a model).
const maxBytes = 1 << 46

// minMapped is the smallest table worth a mapping of its own (bytes):
// below it the heap's rounding costs less than a mapping's page.
const minMapped = 1 << 16

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}
