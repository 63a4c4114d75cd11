#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| careplan_fuzz::codec_validator(data));
