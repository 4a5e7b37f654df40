//! A cheap structural check of an encoded DICOM data set, without decoding it.
//!
//! [`scan_bytes`] and [`scan_reader`] walk the elements of a data set (a
//! DICOM file's, after its File Meta Information, or a bare one in a given
//! transfer syntax) and check what a reader relies on: tags ascend at each
//! level, every value length fits in what remains of its item and of the
//! file, and undefined-length sequences, items and encapsulated pixel data
//! are closed by their delimiters. Values are skipped, not read (a seek for
//! a file, so a 1 GB instance scans in a few reads), except the top-level
//! SOP Class and SOP Instance UIDs, which are returned. A deflated data set
//! is inflated as a stream in bounded chunks. Memory stays flat whatever
//! the size, and nothing a length claims is allocated.
//!
//! It does not validate values (VRs, multiplicity, modules): a data set
//! that passes may still not decode, but one that fails would not be read
//! correctly by anybody.

mod error;
mod sequences;
mod source;
mod walk;

use std::io::{Read, Seek, SeekFrom};

pub use error::{DataSetError, DataSetErrorKind, Part, ScanError};

use source::{BufferedSource, ByteSource, FileFill, Inflater, SliceSource};
use walk::{length_field, pair, tag_at, u16_at, uid_text, LengthField};

/// What a reader reads in one go (bigger reads only when a value needs them).
pub const CHUNK: usize = 64 * 1024;
/// How deep items and sequences may nest (levels of the walk).
pub const MAX_DEPTH: usize = 256;
/// The longest File Meta value read.
pub const MAX_META_VALUE: u32 = 64 * 1024;
/// The longest SOP Class or Instance UID value read (longer ones are skipped).
pub const MAX_UID_VALUE: u32 = 1024;

pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
/// The data set itself is deflated (PS3.5 A.5); JPIP Referenced Deflate too.
pub const DEFLATED_TRANSFER_SYNTAXES: [&str; 2] =
    ["1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95"];

const TRANSFER_SYNTAX_UID: u32 = 0x0002_0010;

/// What a scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanResult {
    pub transfer_syntax: String,
    /// Top-level (0008,0016) and (0008,0018), `None` when absent.
    pub sop_class_uid: Option<String>,
    pub sop_instance_uid: Option<String>,
    /// Where the data set starts in the file or buffer.
    pub data_set_offset: u64,
    /// Its length (inflated length for a deflated data set).
    pub data_set_length: u64,
    /// Elements seen at every level (items and delimiters not counted).
    pub elements: u64,
}

/// Scans a buffer: a DICOM file (PS3.10: preamble, "DICM", File Meta
/// Information) without `transfer_syntax`, else a bare data set in it.
pub fn scan_bytes(data: &[u8], transfer_syntax: Option<&str>) -> Result<ScanResult, ScanError> {
    let source = SliceSource::new(data);
    scan(source, transfer_syntax, |source, start| {
        Ok(source.rest_from(start))
    })
}

/// Scans what `reader` holds from `offset` to its end, as [`scan_bytes`]
/// does a buffer; offsets in errors and results are from the reader's start.
/// The reader is read in chunks of [`CHUNK`] and sought over values.
pub fn scan_reader<R: Read + Seek>(
    mut reader: R,
    offset: u64,
    transfer_syntax: Option<&str>,
) -> Result<ScanResult, ScanError> {
    let size = reader.seek(SeekFrom::End(0))?;
    if offset > size {
        return Err(DataSetError::new(DataSetErrorKind::OffsetOutsideFile, offset).into());
    }
    reader.seek(SeekFrom::Start(offset))?;
    let source = BufferedSource::new(FileFill::new(reader, offset, size), offset, Some(size));
    scan(source, transfer_syntax, |source, start| {
        let mut reader = source.into_fill().into_reader();
        reader.seek(SeekFrom::Start(start))?;
        Ok(reader)
    })
}

/// The transfer syntax (from the File Meta Information when not given),
/// then the walk over `source`, or over the inflated stream of what
/// `compressed` returns for a deflated data set starting at a position.
fn scan<S, R, C>(
    mut source: S,
    transfer_syntax: Option<&str>,
    compressed: C,
) -> Result<ScanResult, ScanError>
where
    S: ByteSource,
    R: Read,
    C: FnOnce(S, u64) -> Result<R, ScanError>,
{
    let transfer_syntax = match transfer_syntax {
        Some(given) => given.trim_end_matches(['\0', ' ']).to_owned(),
        None => read_file_meta(&mut source)?,
    };
    let start = source.pos();
    let implicit = transfer_syntax == IMPLICIT_VR_LITTLE_ENDIAN;
    let little = transfer_syntax != EXPLICIT_VR_BIG_ENDIAN;
    let (found, length) = if DEFLATED_TRANSFER_SYNTAXES.contains(&transfer_syntax.as_str()) {
        let mut inflated = BufferedSource::new(Inflater::new(compressed(source, start)?), 0, None);
        let found = walk::walk(&mut inflated, implicit, little)?;
        if !inflated.fill_ref().finished() {
            let at = inflated.pos();
            return Err(DataSetError::new(DataSetErrorKind::InflateTruncated, at).into());
        }
        (found, inflated.pos())
    } else {
        let found = walk::walk(&mut source, implicit, little)?;
        (found, source.pos() - start)
    };
    Ok(ScanResult {
        transfer_syntax,
        sop_class_uid: found.sop_class_uid,
        sop_instance_uid: found.sop_instance_uid,
        data_set_offset: start,
        data_set_length: length,
        elements: found.elements,
    })
}

/// Checks the preamble and File Meta Information (explicit VR little
/// endian, group 0002, defined lengths); returns the Transfer Syntax UID.
fn read_file_meta<S: ByteSource>(source: &mut S) -> Result<String, ScanError> {
    use DataSetErrorKind as K;
    let fault = |kind: K, at: u64| -> ScanError { DataSetError::new(kind, at).into() };
    let header = source.read(132)?;
    if header.get(128..) != Some(b"DICM".as_slice()) {
        return Err(fault(K::NoDicmPrefix, source.pos() - 4));
    }
    let mut transfer_syntax = String::new();
    let mut previous: Option<u32> = None;
    loop {
        let peek = source.peek(4)?;
        if peek.len() < 4 {
            break;
        }
        let tag = tag_at(peek, true);
        if tag >> 16 != 0x0002 {
            break;
        }
        let at = source.pos();
        if previous.is_some_and(|previous| tag <= previous) {
            return Err(fault(K::MetaOutOfOrder { tag }, at));
        }
        previous = Some(tag);
        source.read(4)?;
        let vr = pair(source.read(2)?);
        let length = match length_field(vr) {
            Some(LengthField::Short) => u32::from(u16_at(source.read(2)?, true)),
            Some(LengthField::Long) => {
                let field = source.read(6)?;
                let four = [2, 3, 4, 5].map(|i| field.get(i).copied().unwrap_or(0));
                u32::from_le_bytes(four)
            }
            None => return Err(fault(K::MetaUnknownVr { tag, vr }, at + 4)),
        };
        if length > MAX_META_VALUE {
            return Err(fault(K::MetaValueTooLong { tag, length }, at));
        }
        let value = source.read(length as usize)?;
        if tag == TRANSFER_SYNTAX_UID {
            transfer_syntax = uid_text(value);
        }
    }
    if transfer_syntax.is_empty() {
        return Err(fault(K::NoTransferSyntax, source.pos()));
    }
    Ok(transfer_syntax)
}
