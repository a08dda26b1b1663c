//! A WAV file read from its header: where its samples are and how they are
//! laid out, so a big clip is measured, checked and cut from slices of the
//! file without the browser decoding all of it (which holds the page).
//! Plain code: the page feeds it bytes read from `Blob.slice()`.

/// How many leading bytes hold the header we need (`fmt ` and the start of
/// `data`; metadata chunks before `data` rarely take more).
pub const HEAD_LEN: u32 = 64 * 1024;

/// How one sample is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// Unsigned 8-bit.
    U8,
    I16,
    I24,
    I32,
    F32,
}

impl SampleFormat {
    pub fn bytes(self) -> usize {
        match self {
            SampleFormat::U8 => 1,
            SampleFormat::I16 => 2,
            SampleFormat::I24 => 3,
            SampleFormat::I32 | SampleFormat::F32 => 4,
        }
    }

    /// One sample at the start of `b`, as a fraction of full scale.
    fn read(self, b: &[u8]) -> f32 {
        match self {
            SampleFormat::U8 => (f32::from(b[0]) - 128.0) / 128.0,
            SampleFormat::I16 => f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0,
            SampleFormat::I24 => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
            SampleFormat::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
            SampleFormat::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        }
    }

    fn tag_and_bits(self) -> (u16, u16) {
        match self {
            SampleFormat::F32 => (3, 32),
            other => (1, 8 * other.bytes() as u16),
        }
    }
}

/// Why a WAV file's header cannot be used this way (the page then lets the
/// browser decode the file instead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotPlain {
    /// Not a RIFF/WAVE file.
    NotWav,
    /// Compressed or unusual samples (ADPCM, µ-law, 64-bit…).
    Encoding(u16),
    /// No `fmt ` or `data` chunk within the bytes read.
    Incomplete,
    /// Zero channels, zero rate, or a block size that does not match.
    Nonsense,
}

/// Where a WAV file's samples are, and how they are stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WavLayout {
    pub format: SampleFormat,
    pub channels: u16,
    pub rate: u32,
    /// Byte offset of the first sample.
    pub data_start: u64,
    /// Bytes of whole frames of samples (within the file, whatever the header claims).
    pub data_len: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl WavLayout {
    /// Reads the layout from the file's first bytes (`head`, up to
    /// [`HEAD_LEN`]) and its whole length.
    pub fn parse(head: &[u8], file_len: u64) -> Result<WavLayout, NotPlain> {
        if head.get(0..4) != Some(b"RIFF") || head.get(8..12) != Some(b"WAVE") {
            return Err(NotPlain::NotWav);
        }
        let mut at = 12usize;
        let mut format = None;
        while let (Some(id), Some(size)) = (head.get(at..at + 4), u32_at(head, at + 4)) {
            let body = at + 8;
            match id {
                b"fmt " => format = Some(Self::format_of(head.get(body..body + (size as usize).min(40)).ok_or(NotPlain::Incomplete)?)?),
                b"data" => {
                    let (format, channels, rate) = format.ok_or(NotPlain::Incomplete)?;
                    let block = format.bytes() as u64 * u64::from(channels);
                    let data_start = body as u64;
                    let in_file = file_len.saturating_sub(data_start);
                    // Streamed WAVs leave the size at 0 or all ones: the rest of the file is samples.
                    let claimed = if size == 0 || size == u32::MAX { in_file } else { u64::from(size).min(in_file) };
                    return Ok(WavLayout { format, channels, rate, data_start, data_len: claimed - claimed % block });
                }
                _ => {}
            }
            // Chunks are padded to an even length.
            at = body + size as usize + (size as usize & 1);
        }
        Err(NotPlain::Incomplete)
    }

    fn format_of(fmt: &[u8]) -> Result<(SampleFormat, u16, u32), NotPlain> {
        let (Some(mut tag), Some(channels), Some(rate), Some(block), Some(bits)) =
            (u16_at(fmt, 0), u16_at(fmt, 2), u32_at(fmt, 4), u16_at(fmt, 12), u16_at(fmt, 14))
        else {
            return Err(NotPlain::Incomplete);
        };
        if tag == 0xFFFE {
            // WAVE_FORMAT_EXTENSIBLE: the real tag opens the sub-format GUID.
            tag = u16_at(fmt, 24).ok_or(NotPlain::Incomplete)?;
        }
        let format = match (tag, bits) {
            (1, 8) => SampleFormat::U8,
            (1, 16) => SampleFormat::I16,
            (1, 24) => SampleFormat::I24,
            (1, 32) => SampleFormat::I32,
            (3, 32) => SampleFormat::F32,
            (tag, _) => return Err(NotPlain::Encoding(tag)),
        };
        if channels == 0 || rate == 0 || usize::from(block) != format.bytes() * usize::from(channels) {
            return Err(NotPlain::Nonsense);
        }
        Ok((format, channels, rate))
    }

    /// Bytes per frame (one sample of each channel).
    pub fn block(&self) -> u64 {
        self.format.bytes() as u64 * u64::from(self.channels)
    }

    pub fn frames(&self) -> u64 {
        self.data_len / self.block()
    }

    pub fn duration_secs(&self) -> f64 {
        self.frames() as f64 / f64::from(self.rate)
    }

    /// The byte range in the file of the frames from `start_secs` to `end_secs`.
    pub fn byte_range(&self, start_secs: f64, end_secs: f64) -> (u64, u64) {
        let frame = |secs: f64| ((secs.max(0.0) * f64::from(self.rate)).round() as u64).min(self.frames());
        let (first, last) = (frame(start_secs), frame(end_secs));
        let last = last.max(first);
        (self.data_start + first * self.block(), self.data_start + last * self.block())
    }

    /// A 44-byte header for `data_len` bytes of samples laid out as these.
    pub fn header(&self, data_len: u64) -> [u8; 44] {
        let (tag, bits) = self.format.tag_and_bits();
        let data_len = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
        let block = self.block() as u16;
        let mut header = [0u8; 44];
        let mut put = |at: usize, bytes: &[u8]| header[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, b"RIFF");
        put(4, &(36 + data_len).to_le_bytes());
        put(8, b"WAVEfmt ");
        put(16, &16u32.to_le_bytes());
        put(20, &tag.to_le_bytes());
        put(22, &self.channels.to_le_bytes());
        put(24, &self.rate.to_le_bytes());
        put(28, &(self.rate * u32::from(block)).to_le_bytes());
        put(32, &block.to_le_bytes());
        put(34, &bits.to_le_bytes());
        put(36, b"data");
        put(40, &data_len.to_le_bytes());
        header
    }

    /// Scans whole frames of samples (the first channel for the per-stretch
    /// loudness, every channel for the peak). `first_frame` is the index of
    /// `bytes`' first frame in the clip; `peaks` holds one value per stretch
    /// of `per_peak` frames. Returns the chunk's peak.
    pub fn scan(&self, bytes: &[u8], first_frame: u64, peaks: &mut [f32], per_peak: f64) -> f32 {
        let (size, block) = (self.format.bytes(), self.block() as usize);
        let mut peak = 0f32;
        for (i, frame) in bytes.chunks_exact(block).enumerate() {
            let first = self.format.read(frame).abs();
            let at = ((first_frame + i as u64) as f64 / per_peak) as usize;
            if let Some(p) = peaks.get_mut(at) {
                *p = p.max(first);
            }
            peak = frame.chunks_exact(size).fold(peak, |m, s| m.max(self.format.read(s).abs()));
        }
        peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A WAV file: the header `layout` would write, with `extra` chunks before the samples.
    fn file(layout: &WavLayout, extra: &[u8], samples: &[u8]) -> Vec<u8> {
        let header = layout.header(samples.len() as u64);
        let mut out = header[..36].to_vec();
        out.extend_from_slice(extra);
        out.extend_from_slice(&header[36..]);
        out.extend_from_slice(samples);
        out
    }

    fn layout(format: SampleFormat, channels: u16, rate: u32) -> WavLayout {
        WavLayout { format, channels, rate, data_start: 0, data_len: 0 }
    }

    #[test]
    fn a_plain_16_bit_file_tells_its_length_without_decoding() {
        let samples = vec![0u8; 16_000 * 2 * 2]; // 2 s of mono 16 kHz
        let bytes = file(&layout(SampleFormat::I16, 1, 16_000), &[], &samples);
        let found = WavLayout::parse(&bytes, bytes.len() as u64).expect("plain WAV");
        assert_eq!((found.format, found.channels, found.rate, found.data_start), (SampleFormat::I16, 1, 16_000, 44));
        assert_eq!(found.frames(), 32_000);
        assert_eq!(found.duration_secs(), 2.0);
    }

    #[test]
    fn metadata_chunks_before_the_samples_are_stepped_over_with_their_padding() {
        let mut list = b"LIST".to_vec();
        list.extend_from_slice(&5u32.to_le_bytes());
        list.extend_from_slice(b"INFOx\0"); // 5 bytes and a pad byte
        let bytes = file(&layout(SampleFormat::I16, 2, 8_000), &list, &[0u8; 8_000 * 4]);
        let found = WavLayout::parse(&bytes, bytes.len() as u64).expect("WAV with LIST");
        assert_eq!(found.data_start, 44 + list.len() as u64);
        assert_eq!(found.duration_secs(), 1.0);
    }

    #[test]
    fn a_float_file_in_the_extensible_form_is_read() {
        let mut fmt = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        fmt.extend_from_slice(&40u32.to_le_bytes());
        for v in [0xFFFEu16, 1] {
            fmt.extend_from_slice(&v.to_le_bytes());
        }
        fmt.extend_from_slice(&48_000u32.to_le_bytes());
        fmt.extend_from_slice(&(48_000u32 * 4).to_le_bytes());
        for v in [4u16, 32, 22, 32] {
            fmt.extend_from_slice(&v.to_le_bytes());
        }
        fmt.extend_from_slice(&4u32.to_le_bytes()); // channel mask
        fmt.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]); // float GUID
        fmt.extend_from_slice(b"data");
        fmt.extend_from_slice(&(48_000u32 * 4).to_le_bytes());
        fmt.extend_from_slice(&vec![0u8; 48_000 * 4]);
        let found = WavLayout::parse(&fmt, fmt.len() as u64).expect("extensible float");
        assert_eq!((found.format, found.channels, found.rate), (SampleFormat::F32, 1, 48_000));
        assert_eq!(found.duration_secs(), 1.0);
    }

    #[test]
    fn what_cannot_be_read_from_slices_is_said_so_the_browser_decodes_it() {
        assert_eq!(WavLayout::parse(b"ID3\x04\0\0\0\0\0\0\0\0", 12), Err(NotPlain::NotWav));
        let mut adpcm = file(&layout(SampleFormat::I16, 1, 8_000), &[], &[0u8; 100]);
        adpcm[20] = 2; // Microsoft ADPCM
        assert_eq!(WavLayout::parse(&adpcm, adpcm.len() as u64), Err(NotPlain::Encoding(2)));
        let whole = file(&layout(SampleFormat::I16, 1, 8_000), &[], &[0u8; 100]);
        assert_eq!(WavLayout::parse(&whole[..30], 30), Err(NotPlain::Incomplete), "cut before fmt ends");
        assert_eq!(WavLayout::parse(&whole[..40], 40), Err(NotPlain::Incomplete), "no data chunk");
        let mut odd = whole.clone();
        odd[32] = 3; // block size of 3 for mono 16-bit
        assert_eq!(WavLayout::parse(&odd, odd.len() as u64), Err(NotPlain::Nonsense));
    }

    #[test]
    fn a_truncated_or_streamed_file_counts_only_the_whole_frames_it_has() {
        let mut bytes = file(&layout(SampleFormat::I16, 2, 8_000), &[], &[0u8; 4_000]);
        bytes.truncate(44 + 1_001); // header claims 4000 bytes; 250 whole frames are there
        assert_eq!(WavLayout::parse(&bytes, bytes.len() as u64).expect("truncated").frames(), 250);
        bytes[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(WavLayout::parse(&bytes, bytes.len() as u64).expect("streamed").frames(), 250);
    }

    #[test]
    fn samples_are_read_as_fractions_of_full_scale_in_every_format() {
        assert_eq!(SampleFormat::U8.read(&[0]), -1.0);
        assert_eq!(SampleFormat::I16.read(&(-32768i16).to_le_bytes()), -1.0);
        assert_eq!(SampleFormat::I16.read(&16384i16.to_le_bytes()), 0.5);
        assert_eq!(SampleFormat::I24.read(&[0, 0, 0xC0]), -0.5);
        assert_eq!(SampleFormat::I32.read(&(i32::MIN).to_le_bytes()), -1.0);
        assert_eq!(SampleFormat::F32.read(&0.25f32.to_le_bytes()), 0.25);
    }

    #[test]
    fn a_scan_finds_the_peak_of_every_channel_and_the_loudness_per_stretch() {
        let wav = WavLayout { data_len: 16, ..layout(SampleFormat::I16, 2, 4) };
        // Four stereo frames: the left channel rises, the right one peaks once.
        let frames: Vec<u8> = [(0i16, 0i16), (8192, 0), (16384, -32768), (-24576, 0)].iter().flat_map(|(l, r)| [l.to_le_bytes(), r.to_le_bytes()].concat()).collect();
        let mut peaks = [0f32; 2];
        let peak = wav.scan(&frames[..8], 0, &mut peaks, 2.0) .max(wav.scan(&frames[8..], 2, &mut peaks, 2.0));
        assert_eq!(peak, 1.0, "the right channel's full-scale sample");
        assert_eq!(peaks, [0.25, 0.75], "left channel, two frames per stretch");
    }

    #[test]
    fn a_cut_is_whole_frames_between_the_times_with_a_header_of_its_own() {
        let wav = WavLayout { data_start: 44, data_len: 16_000 * 4, ..layout(SampleFormat::I16, 2, 16_000) };
        assert_eq!(wav.byte_range(0.25, 0.5), (44 + 4_000 * 4, 44 + 8_000 * 4));
        assert_eq!(wav.byte_range(0.9, 5.0), (44 + 14_400 * 4, 44 + 16_000 * 4), "ends at the clip's end");
        assert_eq!(wav.byte_range(0.5, 0.25).1 - wav.byte_range(0.5, 0.25).0, 0, "never backwards");
        let header = wav.header(4_000 * 4);
        let cut = WavLayout::parse(&[&header[..], &vec![0u8; 16_000]].concat(), 44 + 16_000).expect("the cut is a WAV");
        assert_eq!((cut.channels, cut.rate, cut.duration_secs()), (2, 16_000, 0.25));
    }
}
