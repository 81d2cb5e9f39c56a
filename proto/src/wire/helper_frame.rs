//! Decoding [`HelperFrame`] without buffering: the helper writes `type` first (serde's
//! encoding of an internally tagged enum always does), so the variant is known before
//! its fields and each field is decoded in place. A frame whose first member is not
//! `type`, or with an unknown, duplicate or missing field, is refused, as the derived
//! decoder with `deny_unknown_fields` would refuse it.

use super::conversation::{CallId, HelperFrame, ProtoVersion};
use crate::payloads::{ErrorBody, Response};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Welcome,
    Reply,
    Fatal,
}

#[derive(Deserialize, PartialEq, Eq, Clone, Copy, Debug)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Type,
    ProtoVersion,
    HelperVersion,
    Id,
    Response,
    Error,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Self::Type => "type",
            Self::ProtoVersion => "proto_version",
            Self::HelperVersion => "helper_version",
            Self::Id => "id",
            Self::Response => "response",
            Self::Error => "error",
        }
    }
}

/// Stores a field's value once; a second occurrence is an error.
fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    field: Field,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(field.name()));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

fn required<T, E: de::Error>(slot: Option<T>, field: Field) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(field.name()))
}

struct FrameVisitor;

impl<'de> Visitor<'de> for FrameVisitor {
    type Value = HelperFrame;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a helper frame: an object whose first member is \"type\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HelperFrame, A::Error> {
        match map.next_key::<Field>()? {
            Some(Field::Type) => {}
            Some(_) => {
                return Err(de::Error::custom(
                    "a helper frame must begin with its \"type\"",
                ));
            }
            None => return Err(de::Error::missing_field("type")),
        }
        let kind: Kind = map.next_value()?;
        let allowed: &[Field] = match kind {
            Kind::Welcome => &[Field::ProtoVersion, Field::HelperVersion],
            Kind::Reply => &[Field::Id, Field::Response],
            Kind::Fatal => &[Field::Error],
        };
        let mut proto_version: Option<ProtoVersion> = None;
        let mut helper_version: Option<String> = None;
        let mut id: Option<CallId> = None;
        let mut response: Option<Response> = None;
        let mut error: Option<ErrorBody> = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Type => return Err(de::Error::duplicate_field("type")),
                _ if !allowed.contains(&field) => {
                    let names: Vec<&str> = allowed.iter().map(|f| f.name()).collect();
                    return Err(de::Error::custom(format_args!(
                        "unknown field `{}`, expected one of {names:?}",
                        field.name()
                    )));
                }
                Field::ProtoVersion => once(&mut map, &mut proto_version, field)?,
                Field::HelperVersion => once(&mut map, &mut helper_version, field)?,
                Field::Id => once(&mut map, &mut id, field)?,
                Field::Response => once(&mut map, &mut response, field)?,
                Field::Error => once(&mut map, &mut error, field)?,
            }
        }
        Ok(match kind {
            Kind::Welcome => HelperFrame::Welcome {
                proto_version: required(proto_version, Field::ProtoVersion)?,
                helper_version: required(helper_version, Field::HelperVersion)?,
            },
            Kind::Reply => HelperFrame::Reply {
                id: required(id, Field::Id)?,
                response: required(response, Field::Response)?,
            },
            Kind::Fatal => HelperFrame::Fatal {
                error: required(error, Field::Error)?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for HelperFrame {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FrameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::conversation::PROTO_VERSION;
    use super::*;
    use crate::payloads::{ErrorKind, Payload};

    fn decode(text: &str) -> Result<HelperFrame, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn every_frame_round_trips_in_the_derived_wire_shape() {
        let frames = [
            HelperFrame::Welcome {
                proto_version: PROTO_VERSION,
                helper_version: "0.1.0".into(),
            },
            HelperFrame::Reply {
                id: 7,
                response: Response::Ok(Payload::Vmid(crate::VmId::new(101).unwrap())),
            },
            HelperFrame::Reply {
                id: 8,
                response: Response::Err(ErrorBody::new(ErrorKind::NotFound, "gone")),
            },
            HelperFrame::Fatal {
                error: ErrorBody::new(ErrorKind::Invalid, "bad frame"),
            },
        ];
        for frame in frames {
            let text = serde_json::to_string(&frame).unwrap();
            assert!(text.starts_with("{\"type\":"), "{text}");
            assert_eq!(decode(&text), Ok(frame));
        }
        // The fields after the type, in any order.
        let f = decode(
            r#"{"type":"welcome","helper_version":"1","proto_version":{"major":1,"minor":0}}"#,
        );
        assert!(matches!(f, Ok(HelperFrame::Welcome { .. })), "{f:?}");
    }

    #[test]
    fn malformed_frames_are_refused_with_the_reason() {
        let err = |text: &str| decode(text).unwrap_err();
        let resp = r#"{"result":"err","value":{"kind":"not_found","message":"x"}}"#;
        let cases = [
            (
                format!(r#"{{"id":1,"type":"reply","response":{resp}}}"#),
                "begin with",
            ),
            (
                r#"{"type":"reply","id":1}"#.into(),
                "missing field `response`",
            ),
            (
                format!(r#"{{"type":"reply","id":1,"id":2,"response":{resp}}}"#),
                "duplicate field `id`",
            ),
            (r#"{"type":"fatal","id":1}"#.into(), "unknown field `id`"),
            (
                format!(r#"{{"type":"reply","id":1,"response":{resp},"extra":1}}"#),
                "unknown field `extra`",
            ),
            (r#"{"type":"hello"}"#.into(), "unknown variant `hello`"),
            (
                r#"{"type":"fatal","type":"fatal"}"#.into(),
                "duplicate field `type`",
            ),
            ("{}".into(), "missing field `type`"),
            ("[1,2]".into(), "invalid type"),
        ];
        for (text, reason) in cases {
            let e = err(&text);
            assert!(e.contains(reason), "{text}: {e}");
        }
    }
}
