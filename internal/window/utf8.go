package window

// incompleteTail returns how many bytes at the end of b start a UTF-8
// sequence that the next read completes. The bridge holds them back, so that
// every frame it sends is whole characters: a read may end in the middle of
// a Japanese character (three bytes) as easily as anywhere else.
func incompleteTail(b []byte) int {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		switch {
		case c&0xC0 == 0x80: // a continuation byte: look further back
			continue
		case c < 0x80:
			return 0
		case c&0xE0 == 0xC0:
			return tailIf(i, 2)
		case c&0xF0 == 0xE0:
			return tailIf(i, 3)
		case c&0xF8 == 0xF0:
			return tailIf(i, 4)
		default: // not UTF-8: send it as it is
			return 0
		}
	}
	return 0
}

func tailIf(have, need int) int {
	if have < need {
		return have
	}
	return 0
}

// utf8Joiner cuts a byte stream into pieces that end on character
// boundaries.
type utf8Joiner struct{ carry []byte }

// next returns what of carry+b can be sent now; the rest waits for the next
// call.
func (j *utf8Joiner) next(b []byte) []byte {
	if len(j.carry) > 0 {
		b = append(j.carry, b...)
		j.carry = nil
	}
	if n := incompleteTail(b); n > 0 {
		j.carry = append([]byte(nil), b[len(b)-n:]...)
		b = b[:len(b)-n]
	}
	return b
}

// flush returns whatever is held back, at the end of a stream.
func (j *utf8Joiner) flush() []byte {
	b := j.carry
	j.carry = nil
	return b
}
