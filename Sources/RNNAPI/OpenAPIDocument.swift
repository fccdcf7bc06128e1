/// The API's OpenAPI document (openapi.yaml beside this file, compiled in), served at GET /openapi.yaml.
public enum OpenAPIDocument {
    public static var yaml: [UInt8] { PackageResources.openapi_yaml }
}
