//! The request body: its eight fields under their JSON names, their
//! documented bounds and defaults, and the checked body the transport sends.

use std::fmt;

use serde::{Serialize, Serializer};

/// Where an input comes from: an address (http(s) or data: URI) the body
/// carries as is, or a local file the page has checked, which reaches the
/// model by upload (its URL then becomes the address) or inline (its data:
/// URI spliced into the body by the transport). The file's bytes stay in the
/// browser; this names it.
#[derive(Clone, Debug, PartialEq)]
pub enum InputSource {
    Address(String),
    LocalFile { name: String },
}

impl InputSource {
    /// The address, when this input is one.
    pub fn address(&self) -> Option<&str> {
        match self {
            InputSource::Address(address) => Some(address),
            InputSource::LocalFile { .. } => None,
        }
    }
}

/// A local file has no JSON form of its own: it is `null` until the
/// transport puts its uploaded URL or data: URI in its place.
impl Serialize for InputSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            InputSource::Address(address) => serializer.serialize_str(address),
            InputSource::LocalFile { .. } => serializer.serialize_none(),
        }
    }
}

/// The bounds and defaults Segmind documents for SadTalker.
pub const POSE_STYLE_MIN: i64 = 0;
pub const POSE_STYLE_MAX: i64 = 45;
pub const POSE_STYLE_DEFAULT: u8 = 4;
pub const EXPRESSION_SCALE_MIN: f64 = 1.0;
pub const EXPRESSION_SCALE_MAX: f64 = 3.0;
pub const EXPRESSION_SCALE_DEFAULT: f64 = 1.4;
/// The same default as the form shows it (no float formatting in the page).
pub(super) const EXPRESSION_SCALE_DEFAULT_TEXT: &str = "1.4";

/// Each field of the body, for attaching messages to the right control.
/// Serialised (for the JS package) under its JSON name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "js-api", derive(tsify_next::Tsify))]
pub enum Field {
    InputImage,
    InputAudio,
    PoseStyle,
    ExpressionScale,
    Preprocess,
    ImageSize,
    Enhancer,
    Base64,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::InputImage,
        Field::InputAudio,
        Field::PoseStyle,
        Field::ExpressionScale,
        Field::Preprocess,
        Field::ImageSize,
        Field::Enhancer,
        Field::Base64,
    ];

    /// The field's name in the JSON body.
    pub fn json_name(self) -> &'static str {
        match self {
            Field::InputImage => "input_image",
            Field::InputAudio => "input_audio",
            Field::PoseStyle => "pose_style",
            Field::ExpressionScale => "expression_scale",
            Field::Preprocess => "preprocess",
            Field::ImageSize => "image_size",
            Field::Enhancer => "enhancer",
            Field::Base64 => "base64",
        }
    }

    /// The field's name as the page labels it.
    pub fn label(self) -> &'static str {
        match self {
            Field::InputImage => "Portrait",
            Field::InputAudio => "Voice",
            Field::PoseStyle => "Pose style",
            Field::ExpressionScale => "Expression scale",
            Field::Preprocess => "Preprocess",
            Field::ImageSize => "Image size",
            Field::Enhancer => "Enhancer",
            Field::Base64 => "Base64 answer",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How the model prepares the portrait before animating it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "js-api", derive(tsify_next::Tsify))]
pub enum Preprocess {
    Crop,
    Extcrop,
    Resize,
    #[default]
    Full,
    Extfull,
}

impl Preprocess {
    pub const ALL: [Preprocess; 5] = [
        Preprocess::Crop,
        Preprocess::Extcrop,
        Preprocess::Resize,
        Preprocess::Full,
        Preprocess::Extfull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preprocess::Crop => "crop",
            Preprocess::Extcrop => "extcrop",
            Preprocess::Resize => "resize",
            Preprocess::Full => "full",
            Preprocess::Extfull => "extfull",
        }
    }

    /// Case-insensitive, surrounding space ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(text))
    }
}

/// Resolution of the face renderer; sent as a JSON integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImageSize {
    #[default]
    Px256,
    Px512,
}

impl ImageSize {
    pub const ALL: [ImageSize; 2] = [ImageSize::Px256, ImageSize::Px512];

    pub fn pixels(self) -> u32 {
        match self {
            ImageSize::Px256 => 256,
            ImageSize::Px512 => 512,
        }
    }

    pub fn from_pixels(pixels: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| i64::from(s.pixels()) == pixels)
    }
}

impl Serialize for ImageSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.pixels())
    }
}

/// A validated SadTalker request body with every default filled in, ready
/// to send. Field order and names match the API.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "js-api", derive(tsify_next::Tsify))]
pub struct NormalizedRequest {
    /// The portrait: an http(s) URL or a data: URI.
    #[cfg_attr(feature = "js-api", tsify(type = "string"))]
    pub input_image: InputSource,
    /// The speech (WAV or MP3): an http(s) URL or a data: URI.
    #[cfg_attr(feature = "js-api", tsify(type = "string"))]
    pub input_audio: InputSource,
    /// Head-movement style, a whole number 0–45 (default 4).
    pub pose_style: u8,
    /// Strength of expression, 1–3 (default 1.4).
    pub expression_scale: f64,
    /// How the portrait is framed (default "full").
    pub preprocess: Preprocess,
    /// Face renderer resolution (default 256).
    #[cfg_attr(feature = "js-api", tsify(type = "256 | 512"))]
    pub image_size: ImageSize,
    /// Face restoration (default true).
    pub enhancer: bool,
    /// Ask for the video base64-encoded (default false); generate() decodes either form.
    pub base64: bool,
}

/// The body's members after the two inputs, in the API's order.
#[derive(Serialize)]
struct Settings {
    pose_style: u8,
    expression_scale: f64,
    preprocess: Preprocess,
    image_size: ImageSize,
    enhancer: bool,
    base64: bool,
}

impl NormalizedRequest {
    pub fn to_json(&self) -> String {
        // Serialising plain strings, integers, finite floats and bools cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The body after its two inputs: `,"pose_style":4,…}`, for a transport
    /// that writes the inputs itself (a local file's data: URI, spliced in).
    pub fn settings_tail(&self) -> String {
        let settings = Settings {
            pose_style: self.pose_style,
            expression_scale: self.expression_scale,
            preprocess: self.preprocess,
            image_size: self.image_size,
            enhancer: self.enhancer,
            base64: self.base64,
        };
        let json = serde_json::to_string(&settings).unwrap_or_else(|_| "{}".into());
        format!(",{}", json.strip_prefix('{').unwrap_or(&json))
    }

    /// The inputs that are local files, by field.
    pub fn local_files(&self) -> impl Iterator<Item = Field> + '_ {
        [(Field::InputImage, &self.input_image), (Field::InputAudio, &self.input_audio)]
            .into_iter()
            .filter(|(_, input)| matches!(input, InputSource::LocalFile { .. }))
            .map(|(field, _)| field)
    }

    /// The settings in one line, as shown beside a result.
    pub fn summary(&self) -> String {
        format!(
            "pose_style {} · expression_scale {} · preprocess {} · image_size {} · enhancer {}",
            self.pose_style,
            self.scale_text(),
            self.preprocess.as_str(),
            self.image_size.pixels(),
            if self.enhancer { "on" } else { "off" }
        )
    }

    /// A download name that says what made the file: `talking-head_2026-11-25_pose7_scale1.8_512px.mp4`.
    pub fn file_name(&self, date: &str) -> String {
        let scale = self.scale_text();
        format!("talking-head_{date}_pose{}_scale{scale}_{}_{}px.mp4", self.pose_style, self.preprocess.as_str(), self.image_size.pixels())
    }

    /// The scale as JSON writes it ("1.4"): serde_json's shortest float text,
    /// which keeps core's float formatting out of the page. Through
    /// `to_string`, not `Value`'s `Display`, which would bring serde_json's
    /// pretty printer along.
    fn scale_text(&self) -> String {
        serde_json::to_string(&self.expression_scale).unwrap_or_default()
    }
}
