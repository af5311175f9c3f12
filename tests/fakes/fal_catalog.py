"""The fake fal's default model catalogue: a few endpoints with realistic metadata, input schemas
and prices, and the OpenAPI document that `GET /v1/models?expand=openapi-3.0` embeds."""

from __future__ import annotations

from dataclasses import dataclass, field

IMAGE_SIZES = ["square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"]
PRESET_PIXELS = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}


def image_input_schema(title: str, max_steps: int, default_steps: int) -> dict:
    props = {
        "prompt": {
            "title": "Prompt",
            "type": "string",
            "description": "The prompt to generate an image from.",
            "examples": ["Extreme close-up of a single tiger eye"],
        },
        "image_size": {
            "title": "Image Size",
            "description": "The size of the generated image.",
            "default": "landscape_4_3",
            "anyOf": [{"$ref": "#/components/schemas/ImageSize"}, {"enum": IMAGE_SIZES, "type": "string"}],
        },
        "num_inference_steps": {
            "title": "Num Inference Steps",
            "type": "integer",
            "minimum": 1,
            "maximum": max_steps,
            "default": default_steps,
            "description": "The number of inference steps to perform.",
        },
        "seed": {
            "title": "Seed",
            "type": "integer",
            "description": "The same seed and prompt give the same image.",
        },
        "num_images": {
            "title": "Num Images",
            "type": "integer",
            "minimum": 1,
            "maximum": 4,
            "default": 1,
            "description": "The number of images to generate.",
        },
        "enable_safety_checker": {"title": "Enable Safety Checker", "type": "boolean", "default": True},
        "output_format": {
            "title": "Output Format",
            "enum": ["jpeg", "png"],
            "type": "string",
            "default": "jpeg",
        },
        "sync_mode": {"title": "Sync Mode", "type": "boolean", "default": False},
    }
    return {
        "title": title,
        "type": "object",
        "x-fal-order-properties": list(props),
        "properties": props,
        "required": ["prompt"],
    }


def video_input_schema(title: str) -> dict:
    props = {
        "prompt": {"title": "Prompt", "type": "string", "maxLength": 2500},
        "duration": {
            "title": "Duration",
            "enum": ["5", "10"],
            "type": "string",
            "default": "5",
            "description": "The duration of the generated video in seconds",
        },
        "aspect_ratio": {
            "title": "Aspect Ratio",
            "enum": ["16:9", "9:16", "1:1"],
            "type": "string",
            "default": "16:9",
        },
        "negative_prompt": {
            "title": "Negative Prompt",
            "type": "string",
            "default": "blur, distort, and low quality",
        },
        "cfg_scale": {"title": "Cfg Scale", "type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
    }
    return {
        "title": title,
        "type": "object",
        "x-fal-order-properties": list(props),
        "properties": props,
        "required": ["prompt"],
    }


def image_to_image_input_schema(title: str) -> dict:
    """Like fal-ai/flux/dev/image-to-image: the image to start from in `image_url`, and `strength`."""
    schema = image_input_schema(title, 50, 40)
    props = {
        "image_url": {
            "title": "Image URL",
            "type": "string",
            "description": "The URL of the image to generate an image from.",
        },
        "strength": {"title": "Strength", "type": "number", "minimum": 0.01, "maximum": 1, "default": 0.95},
        **schema["properties"],
    }
    return {**schema, "x-fal-order-properties": list(props), "properties": props, "required": ["image_url", "prompt"]}


def image_to_video_input_schema(title: str) -> dict:
    """Like fal-ai/kling-video/.../image-to-video: `image_url` is the first frame, `tail_image_url` the last."""
    schema = video_input_schema(title)
    props = {
        "image_url": {"title": "Image Url", "type": "string", "description": "URL of the image to be used"},
        "tail_image_url": {"title": "Tail Image Url", "type": "string", "description": "The last frame"},
        **{k: v for k, v in schema["properties"].items() if k != "aspect_ratio"},
    }
    return {**schema, "x-fal-order-properties": list(props), "properties": props, "required": ["prompt", "image_url"]}


@dataclass
class FalModel:
    endpoint_id: str
    display_name: str
    category: str
    input_schema: dict
    unit_price: float = 0.003
    unit: str = "megapixels"
    description: str = ""
    tags: list[str] = field(default_factory=list)
    status: str = "active"

    @property
    def is_video(self) -> bool:
        return self.category.endswith("video")

    def metadata(self, origin: str) -> dict:
        return {
            "display_name": self.display_name,
            "category": self.category,
            "description": self.description or f"{self.display_name} on fal.",
            "status": self.status,
            "tags": self.tags,
            "updated_at": "2025-06-01T12:00:00.000Z",
            "is_favorited": None,
            "thumbnail_url": f"{origin}/files/thumbs/{self.endpoint_id.replace('/', '_')}.png",
            "model_url": f"https://fal.run/{self.endpoint_id}",
            "date": "2024-08-01T00:00:00.000Z",
            "highlighted": False,
            "pinned": False,
            "kind": "inference",
        }

    def openapi(self) -> dict:
        name = "".join(part.title() for part in self.endpoint_id.replace("-", "/").split("/"))
        app = "/".join(self.endpoint_id.split("/")[:2])
        output = {
            "title": "Output",
            "type": "object",
            "required": ["video"] if self.is_video else ["images"],
            "properties": {"video": {"$ref": "#/components/schemas/File"}}
            if self.is_video
            else {
                "images": {"type": "array", "items": {"$ref": "#/components/schemas/Image"}},
                "seed": {"type": "integer"},
                "has_nsfw_concepts": {"type": "array", "items": {"type": "boolean"}},
            },
        }
        status = {
            "type": "object",
            "required": ["status", "request_id"],
            "properties": {
                "status": {"type": "string", "enum": ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]},
                "request_id": {"type": "string"},
                "response_url": {"type": "string"},
                "status_url": {"type": "string"},
                "cancel_url": {"type": "string"},
                "logs": {"type": "object"},
                "metrics": {"type": "object"},
                "queue_position": {"type": "integer"},
            },
        }
        request_id = [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}]

        def ok(ref: str) -> dict:
            return {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}}

        return {
            "openapi": "3.0.4",
            "info": {
                "title": "Queue OpenAPI for " + self.endpoint_id,
                "version": "1.0.0",
                "x-fal-metadata": {"endpointId": self.endpoint_id, "category": self.category},
            },
            "components": {
                "securitySchemes": {
                    "apiKeyAuth": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "Authorization",
                        "description": 'Fal Key, "Key <key>"',
                    }
                },
                "schemas": {
                    "QueueStatus": status,
                    f"{name}Input": self.input_schema,
                    f"{name}Output": output,
                    "ImageSize": {
                        "title": "ImageSize",
                        "type": "object",
                        "properties": {
                            "width": {
                                "type": "integer",
                                "default": 512,
                                "maximum": 14142,
                                "exclusiveMinimum": 0,
                            },
                            "height": {
                                "type": "integer",
                                "default": 512,
                                "maximum": 14142,
                                "exclusiveMinimum": 0,
                            },
                        },
                    },
                    "Image": {
                        "type": "object",
                        "required": ["url"],
                        "properties": {
                            "url": {"type": "string"},
                            "width": {"type": "integer"},
                            "height": {"type": "integer"},
                            "content_type": {"type": "string", "default": "image/jpeg"},
                        },
                    },
                    "File": {
                        "type": "object",
                        "required": ["url"],
                        "properties": {
                            "url": {"type": "string"},
                            "content_type": {"type": "string"},
                            "file_name": {"type": "string"},
                            "file_size": {"type": "integer"},
                        },
                    },
                },
            },
            "paths": {
                f"/{self.endpoint_id}": {
                    "post": {
                        "requestBody": {
                            "required": True,
                            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Input"}}},
                        },
                        "responses": ok("#/components/schemas/QueueStatus"),
                    }
                },
                f"/{app}/requests/{{request_id}}/status": {
                    "get": {
                        "parameters": request_id + [{"name": "logs", "in": "query", "schema": {"type": "number"}}],
                        "responses": ok("#/components/schemas/QueueStatus"),
                    }
                },
                f"/{app}/requests/{{request_id}}/cancel": {
                    "put": {
                        "parameters": request_id,
                        "responses": {"200": {"description": "The request was cancelled."}},
                    }
                },
                f"/{app}/requests/{{request_id}}": {
                    "get": {"parameters": request_id, "responses": ok(f"#/components/schemas/{name}Output")}
                },
            },
            "servers": [{"url": "https://queue.fal.run"}],
            "security": [{"apiKeyAuth": []}],
        }


def default_catalog() -> list[FalModel]:
    return [
        FalModel(
            "fal-ai/flux/schnell",
            "FLUX.1 [schnell]",
            "text-to-image",
            image_input_schema("SchnellTextToImageInput", 12, 4),
            0.003,
            "megapixels",
            tags=["fast", "text-to-image"],
        ),
        FalModel(
            "fal-ai/flux/dev",
            "FLUX.1 [dev]",
            "text-to-image",
            image_input_schema("BaseInput", 50, 28),
            0.025,
            "megapixels",
            tags=["text-to-image"],
        ),
        FalModel(
            "fal-ai/flux-pro/v1.1",
            "FLUX1.1 [pro]",
            "text-to-image",
            image_input_schema("FluxProInput", 50, 28),
            0.04,
            "image",
            tags=["pro"],
        ),
        FalModel(
            "fal-ai/kling-video/v2/master/text-to-video",
            "Kling 2.0 Master",
            "text-to-video",
            video_input_schema("TextToVideoV2MasterRequest"),
            0.28,
            "second",
            tags=["video"],
        ),
    ]


def image_input_models() -> list[FalModel]:
    """Models that take an input image (not in the default catalogue; tests add them)."""
    return [
        FalModel(
            "fal-ai/flux/dev/image-to-image",
            "FLUX.1 [dev] Image-to-Image",
            "image-to-image",
            image_to_image_input_schema("ImageToImageInput"),
            0.03,
            "megapixels",
            tags=["image-to-image"],
        ),
        FalModel(
            "fal-ai/kling-video/v2/master/image-to-video",
            "Kling 2.0 Master Image to Video",
            "image-to-video",
            image_to_video_input_schema("ImageToVideoV2MasterRequest"),
            0.28,
            "second",
            tags=["video"],
        ),
    ]
