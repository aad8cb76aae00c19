package printtest_test

import (
	"fmt"

	"github.com/qtenclave/qtenclave/internal/printtest"
)

// password redacts itself in Format, but fmt's %p of a value calls no Format
// method and prints the field as it is.
type password struct{ Value string }

func (p password) Format(f fmt.State, verb rune) { fmt.Fprint(f, "REDACTED") }

func ExampleLeaks() {
	leaks := printtest.Leaks(password{"hunter2-hunter2-hunter2"}, "hunter2-hunter2-hunter2")
	fmt.Println(len(leaks) > 0)
	fmt.Println(leaks[0])
	// Output:
	// true
	// printtest_test.password, array %#p: %!p([1]printtest_test.password=[{hunter2-hunter2-hunter2}])
}
