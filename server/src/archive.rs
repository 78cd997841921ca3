//! A ZIP archive of stored (uncompressed) files, written in memory: what a GDPR export hands a
//! customer (their data as JSON, their media as files). Media is already compressed, so
//! storing keeps this small and dependency-free; the format is PKWARE's APPNOTE 6.3 (no
//! ZIP64: an export over 4 GiB is refused).

/// Files added in order, then [`Archive::finish`] for the bytes.
#[derive(Default)]
pub struct Archive {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

struct Entry {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the archive would exceed 4 GiB or 65,535 files")]
pub struct TooLarge;

impl Archive {
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<(), TooLarge> {
        let offset = u32::try_from(self.bytes.len()).map_err(|_| TooLarge)?;
        let size = u32::try_from(data.len()).map_err(|_| TooLarge)?;
        if self.entries.len() >= usize::from(u16::MAX) {
            return Err(TooLarge);
        }
        let crc = crc32(data);
        let name_bytes = name.as_bytes();
        let out = &mut self.bytes;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes()); // local file header
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(name_bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name_bytes);
        out.extend_from_slice(data);
        self.entries.push(Entry {
            name: name.to_owned(),
            crc,
            size,
            offset,
        });
        u32::try_from(self.bytes.len()).map_err(|_| TooLarge)?;
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, TooLarge> {
        let directory_start = u32::try_from(self.bytes.len()).map_err(|_| TooLarge)?;
        for entry in &self.entries {
            let out = &mut self.bytes;
            out.extend_from_slice(&0x0201_4b50u32.to_le_bytes()); // central directory header
            out.extend_from_slice(&20u16.to_le_bytes()); // made by
            out.extend_from_slice(&20u16.to_le_bytes()); // needed
            out.extend_from_slice(&0x0800u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&0x21u16.to_le_bytes());
            out.extend_from_slice(&entry.crc.to_le_bytes());
            out.extend_from_slice(&entry.size.to_le_bytes());
            out.extend_from_slice(&entry.size.to_le_bytes());
            out.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra
            out.extend_from_slice(&0u16.to_le_bytes()); // comment
            out.extend_from_slice(&0u16.to_le_bytes()); // disk
            out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            out.extend_from_slice(&entry.offset.to_le_bytes());
            out.extend_from_slice(entry.name.as_bytes());
        }
        let directory_size =
            u32::try_from(self.bytes.len()).map_err(|_| TooLarge)? - directory_start;
        let count = self.entries.len() as u16;
        let out = &mut self.bytes;
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes()); // end of central directory
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&directory_size.to_le_bytes());
        out.extend_from_slice(&directory_start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        Ok(self.bytes)
    }
}

/// CRC-32 (IEEE 802.3), as ZIP uses it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn an_archive_lists_its_files_where_they_are() {
        let mut archive = Archive::default();
        archive.add("contact.json", b"{\"name\":\"Ana\"}").unwrap();
        archive.add("media/1.jpg", &[0xFF, 0xD8, 0xFF]).unwrap();
        let bytes = archive.finish().unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        // The end record says two files, and where the directory starts.
        let end = bytes.len() - 22;
        assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([bytes[end + 10], bytes[end + 11]]), 2);
        let start = u32::from_le_bytes(bytes[end + 16..end + 20].try_into().unwrap()) as usize;
        assert_eq!(&bytes[start..start + 4], b"PK\x01\x02");
        // The second file's local header is where the directory says.
        let second = bytes[start..]
            .windows(11)
            .position(|w| w == b"media/1.jpg")
            .unwrap();
        assert!(second > 0);
        assert!(bytes.windows(14).any(|w| w == b"{\"name\":\"Ana\"}"));
    }
}
