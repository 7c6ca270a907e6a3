import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What a Lambda-backed custom resource answers CloudFormation (the "Custom resource response objects" reference). */
export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/**
 * PUTs the response to the pre-signed ResponseURL CloudFormation gave. The content type must be
 * empty: the URL is signed without one. Throws when the PUT is not answered 2xx.
 */
export function sendCustomResourceResponse(
  responseUrl: string,
  response: CustomResourceResponse,
): Promise<void> {
  const body = Buffer.from(JSON.stringify(response), 'utf8');
  const url = new URL(responseUrl);
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': String(body.length) },
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300
            ? resolve()
            : reject(new Error(`CloudFormation answered ${res.statusCode} to the response`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer to the custom resource response')));
    req.on('error', reject);
    req.end(body);
  });
}
