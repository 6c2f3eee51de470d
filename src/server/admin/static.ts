import type http from 'node:http';
import { sendWebPage, type PagePolicy } from '../web-static';

/** The console's page: scripts only from this origin, never framed; its forms post to itself. */
const ADMIN_PAGE: PagePolicy = {
  csp: "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  referrer: 'same-origin',
};

/** dist/web/admin.html (the sign-in page and the console are one page), or how to build it. */
export function sendAdminPage(res: http.ServerResponse, dist: string): Promise<void> {
  return sendWebPage(res, 'admin.html', dist, ADMIN_PAGE);
}
