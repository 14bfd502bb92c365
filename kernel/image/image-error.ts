/**
 * The error every image reader raises: the image is malformed, and the message says where.
 */
export class ImageError extends Error {
  override readonly name = 'ImageError';
}
