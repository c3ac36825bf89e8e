"""Reports of fakes: channels, records, the office's letter, evidence packets and machine submissions."""
