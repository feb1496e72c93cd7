//! The JSON contract as data, at run time: every operation with the JSON
//! Schemas of its request and response, the connect request's and the error
//! object's (the document committed as `include/temporal_bridge.schema.json`).

use crate::boundary::run_text;
use crate::status::TbStatus;
use std::ffi::c_char;
use temporal_bridge_core::{contract_schema, Error};

/// Writes the library's JSON contract to `*contract_out` (free with
/// `tb_string_free`): one JSON Schema (draft 2020-12) document,
/// `{"$schema", "abi_version": "1.0", "connect": {"c_function", "request"},
/// "operations": [{"name", "c_function", "description", "request",
/// "response"}, ...] (in the order of the operation table), "error",
/// "$defs"}`, whose schemas refer to its `$defs`. Requests are described as
/// the library reads them (every one also takes `call_timeout` and
/// `rpc_timeout`), responses as it writes them. It is the same document as
/// `temporal_bridge.schema.json`, for the library actually loaded; bindings
/// may generate types or validate requests from it. A NULL `contract_out`
/// is `TB_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn tb_describe_contract(
    contract_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_describe_contract", contract_out, error_out, || {
            if contract_out.is_null() {
                return Err(Error::invalid_argument("contract_out is NULL")
                    .with_detail("argument", "contract_out"));
            }
            serde_json::to_string(&contract_schema()).map_err(|e| Error::internal(e.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr;

    #[test]
    fn the_contract_is_the_core_document_and_needs_somewhere_to_go() {
        let mut contract: *mut c_char = ptr::null_mut();
        let mut error: *mut c_char = ptr::null_mut();
        // SAFETY: valid output pointers.
        let status = unsafe { tb_describe_contract(&mut contract, &mut error) };
        assert_eq!(status, TbStatus::Ok);
        assert!(error.is_null());
        // SAFETY: a string of the library's, freed once below.
        let text = unsafe { CStr::from_ptr(contract) }
            .to_str()
            .unwrap()
            .to_owned();
        // SAFETY: as above.
        unsafe { crate::strings::tb_string_free(contract) };
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, contract_schema());
        assert!(text.contains("\"abi_version\":\"1.0\""));

        // SAFETY: NULL contract_out, valid error_out.
        let status = unsafe { tb_describe_contract(ptr::null_mut(), &mut error) };
        assert_eq!(status, TbStatus::InvalidArgument);
        // SAFETY: a string of the library's, freed once.
        let message = unsafe { CStr::from_ptr(error) }
            .to_str()
            .unwrap()
            .to_owned();
        unsafe { crate::strings::tb_string_free(error) };
        assert!(message.contains("contract_out is NULL"), "{message}");
    }
}
