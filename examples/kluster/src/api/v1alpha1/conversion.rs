//! The hand-written half of the v1alpha1 ⇄ v1beta1 conversion: `KlusterSpec` carries
//! `+kgen:conversion:manual` because v1beta1 moved `tokenSecretRef {name, key}` to
//! `token.secretKeyRef {name, key}`. Every other field converts with the generated code.

use super::types::{KlusterSpec, TokenSecretRef};
use crate::api::v1beta1;
use kgen_runtime::conversion::{ConversionError, ConvertFrom};

impl ConvertFrom<KlusterSpec> for v1beta1::KlusterSpec {
    fn convert_from(old: KlusterSpec) -> Result<Self, ConversionError> {
        Ok(v1beta1::KlusterSpec {
            name: old.name,
            region: old.region,
            version: old.version,
            node_pools: ConvertFrom::convert_from(old.node_pools)?,
            token: v1beta1::TokenSource {
                secret_key_ref: v1beta1::SecretKeyRef {
                    name: old.token_secret_ref.name,
                    key: old.token_secret_ref.key,
                },
            },
        })
    }
}

impl ConvertFrom<v1beta1::KlusterSpec> for KlusterSpec {
    fn convert_from(hub: v1beta1::KlusterSpec) -> Result<Self, ConversionError> {
        let secret = hub.token.secret_key_ref;
        Ok(KlusterSpec {
            name: hub.name,
            region: hub.region,
            version: hub.version,
            node_pools: ConvertFrom::convert_from(hub.node_pools)?,
            token_secret_ref: TokenSecretRef {
                name: secret.name,
                key: secret.key,
            },
        })
    }
}
