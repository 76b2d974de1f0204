//go:build !unix

package screen

// watchSize: without SIGWINCH, sizes come only from Resize.
func (t *Terminal) watchSize(stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	close(done)
	return done
}
